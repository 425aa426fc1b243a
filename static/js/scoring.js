// Scoring pages. A static file because the CSP forbids inline script.

// Forms answer 400 with the errors next to the fields: swap them in like a 200.
document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  if (status === 400 || status === 422) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// Changing a rule's field, operator or counting mode re-renders its form, so that only the
// operators fitting the field's type are offered and only the inputs that apply are shown.
document.addEventListener("change", (event) => {
  const control = event.target.closest(".refresh");
  const box = control && control.closest("[data-refresh-url]");
  const form = box && box.closest("form");
  if (!form || !window.htmx) return;
  htmx.ajax("POST", box.dataset.refreshUrl, { source: form, target: form, swap: "outerHTML" });
});

// <form data-confirm="Are you sure?">: ask before submitting (plain and htmx forms alike).
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
