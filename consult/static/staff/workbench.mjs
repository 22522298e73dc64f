// Keyboard shortcuts of the coding workbench's coding page. The page works without this file
// (plain form, access keys); with it, single keys do the common actions, except while typing
// in a text box: a code's number ticks or unticks it, q the quotable example box, s save and
// code next, n code next (skipping the comment shown when it is not coded yet).
//
// With ten codes or more a number can have two digits: "1" waits a moment for a second digit
// ("12" is code 12) unless no code's number starts with it; Enter or any other key ends it
// at once (s saves with it ticked).
const form = document.getElementById("coding-form");
const boxes = form ? Array.from(form.querySelectorAll("input[data-shortcut]")) : [];
const WAIT_MS = 800;
let typed = "";
let timer = null;

function toggle(number) {
  const box = boxes.find((b) => b.dataset.shortcut === number);
  if (box) { box.checked = !box.checked; box.focus(); }
}

function finish() {
  if (timer) { clearTimeout(timer); timer = null; }
  if (typed) { const number = typed; typed = ""; toggle(number); }
}

function digit(key) {
  typed += key;
  const longer = boxes.some((b) => b.dataset.shortcut.length > typed.length
                             && b.dataset.shortcut.startsWith(typed));
  if (timer) { clearTimeout(timer); timer = null; }
  if (longer) { timer = setTimeout(finish, WAIT_MS); } else { finish(); }
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target instanceof HTMLInputElement && target.type === "text") return;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return;
  const key = event.key;
  if (/^[0-9]$/.test(key) && boxes.length) {
    event.preventDefault();
    if (key === "0" && !typed) return;   // no code is numbered 0
    digit(key);
    return;
  }
  const pending = typed !== "";
  finish();
  if (key === "Enter" && (pending || boxes.includes(target))) {
    // Enter ends the number being typed; on a code's box it neither saves nor unticks the
    // code just typed (Space ticks the box in focus, s saves).
    event.preventDefault();
  } else if (key === "q") {
    const box = document.getElementById("quotable");
    if (box) { box.checked = !box.checked; event.preventDefault(); }
  } else if (key === "s" && form) {
    event.preventDefault();
    form.requestSubmit();
  } else if (key === "n") {
    const next = document.getElementById("code-next");
    if (next) { event.preventDefault(); window.location.assign(next.href); }
  }
});
