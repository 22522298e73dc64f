// Keyboard shortcuts of the coding workbench's coding page. The page works without this file
// (plain form, access keys); with it, single keys do the common actions, except while typing
// in a text box: 1-9 tick or untick a code, q the quotable example box, s save and code next,
// n code next.
const form = document.getElementById("coding-form");

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target instanceof HTMLInputElement && target.type === "text") return;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return;
  const key = event.key;
  if (/^[1-9]$/.test(key) && form) {
    const box = form.querySelector(`input[data-shortcut="${key}"]`);
    if (box) { box.checked = !box.checked; box.focus(); event.preventDefault(); }
  } else if (key === "q") {
    const box = document.getElementById("quotable");
    if (box) { box.checked = !box.checked; event.preventDefault(); }
  } else if (key === "s" && form) {
    event.preventDefault();
    form.requestSubmit();
  } else if (key === "n") {
    const next = document.querySelector('a[accesskey="n"]');
    if (next) { event.preventDefault(); window.location.assign(next.href); }
  }
});
