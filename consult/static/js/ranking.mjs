// Ranking, improved when JavaScript runs: choosing a number another theme already has gives that
// theme this one's old number, so the ranks stay unique as the resident goes. Without JavaScript
// the page works the same, and the server explains any repeated number.
for (const group of document.querySelectorAll("[data-consult-ranking]")) {
  const selects = Array.from(group.querySelectorAll("select"));
  for (const select of selects) {
    select.dataset.previous = select.value;
    select.addEventListener("change", () => {
      const clash = selects.find((other) => other !== select && other.value !== "" && other.value === select.value);
      if (clash) {
        clash.value = select.dataset.previous;
        clash.dataset.previous = clash.value;
      }
      select.dataset.previous = select.value;
    });
  }
}
