// Keyboard shortcuts of the MQL queue: j/k next/previous row, Enter open, a accept, r reject,
// t log a touch (these open the MQL page at that form); Esc leaves the search field. On the MQL page, #accept / #reject /
// #touch focus that form's first field.
(function () {
  "use strict";
  var selected = -1;

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("table.queue tbody tr[data-url]"));
  }

  function select(index) {
    var all = rows();
    if (!all.length) return;
    selected = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (row, i) {
      row.classList.toggle("selected", i === selected);
      row.setAttribute("aria-selected", i === selected ? "true" : "false");
    });
    all[selected].scrollIntoView({ block: "nearest" });
  }

  function current() {
    var all = rows();
    return selected >= 0 && selected < all.length ? all[selected] : null;
  }

  function typing(target) {
    var tag = (target.tagName || "").toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && typing(event.target)) { event.target.blur(); return; }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (!document.querySelector("table.queue")) return;
    var row = current();
    switch (event.key) {
      case "j": select(selected + 1); break;
      case "k": select(selected < 0 ? 0 : selected - 1); break;
      case "Enter": if (row) window.location.href = row.dataset.url; else return; break;
      case "a": if (row) window.location.href = row.dataset.url + "#accept"; else return; break;
      case "r": if (row) window.location.href = row.dataset.url + "#reject"; else return; break;
      case "t": if (row) window.location.href = row.dataset.url + "#touch"; else return; break;
      default: return;
    }
    event.preventDefault();
  });

  // A new list (htmx swap after a filter change) starts without a selection.
  document.addEventListener("htmx:afterSwap", function () { selected = -1; });

  // A click on a row (outside its link) selects it.
  document.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest("table.queue tbody tr[data-url]");
    if (row) select(rows().indexOf(row));
  });

  function focusTarget() {
    var id = window.location.hash.slice(1);
    if (["accept", "reject", "touch", "reassign"].indexOf(id) < 0) return;
    var card = document.getElementById(id);
    if (!card) return;
    card.classList.add("targeted");
    var field = card.querySelector("select, textarea, input:not([type=hidden])");
    if (field) field.focus();
  }
  // After load: the browser's own scroll to the fragment would otherwise take the focus back.
  window.addEventListener("load", function () { window.setTimeout(focusTarget, 0); });
  window.addEventListener("hashchange", focusTarget);
})();
