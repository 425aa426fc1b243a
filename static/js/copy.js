// "Copy" buttons: <button data-copy="#input-id">. A static file because the CSP forbids inline script.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const input = document.querySelector(button.dataset.copy);
  if (!input) return;
  input.select();
  navigator.clipboard.writeText(input.value).then(
    () => { button.textContent = "Copied"; },
    () => { document.execCommand("copy"); button.textContent = "Copied"; },
  );
});
