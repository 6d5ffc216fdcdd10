// Page behaviour for AutoFin's templates. The Content-Security-Policy allows no inline script,
// so templates mark elements with data-* attributes and this file wires them up.
(function () {
  "use strict";

  // <form data-confirm="question">: ask before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    // <form data-busy-on-submit>: mark its button busy (a second click does nothing visible).
    if (form.hasAttribute && form.hasAttribute("data-busy-on-submit")) {
      var button = form.querySelector("button");
      if (button) button.setAttribute("aria-busy", "true");
    }
  }, true);

  // <select data-autosubmit>: submit its form when the choice changes.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) el.form.submit();
  });

  // <input data-mirror="id" data-mirror-suffix="%">: show its value in the element with that id.
  document.addEventListener("input", function (event) {
    var el = event.target;
    var id = el.getAttribute && el.getAttribute("data-mirror");
    if (!id) return;
    var target = document.getElementById(id);
    if (target) target.value = el.value + (el.getAttribute("data-mirror-suffix") || "");
  });

  // <table data-collapse="N"> with a <button data-expand-for="table id" hidden>: show the first
  // N body rows and the button ("展开全部"); without script every row shows.
  function collapseTables() {
    document.querySelectorAll("table[data-collapse]").forEach(function (table) {
      var keep = parseInt(table.getAttribute("data-collapse"), 10) || 12;
      var rows = table.tBodies.length ? table.tBodies[0].rows : [];
      if (rows.length <= keep + 2) return;
      for (var i = keep; i < rows.length; i++) rows[i].classList.add("extra");
      table.classList.add("collapsed");
      var button = document.querySelector('[data-expand-for="' + table.id + '"]');
      if (button) button.hidden = false;
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", collapseTables);
  else collapseTables();

  document.addEventListener("click", function (event) {
    var expand = event.target.closest ? event.target.closest("[data-expand-for]") : null;
    if (expand) {
      var table = document.getElementById(expand.getAttribute("data-expand-for"));
      if (table) table.classList.remove("collapsed");
      expand.hidden = true;
      return;
    }
    var el = event.target.closest ? event.target.closest("[data-nav-toggle], [data-print]") : null;
    if (!el) return;
    if (el.hasAttribute("data-print")) {
      window.print();
      return;
    }
    // The menu button: open or close the navigation it controls.
    var nav = document.getElementById(el.getAttribute("aria-controls"));
    if (nav) el.setAttribute("aria-expanded", String(nav.classList.toggle("open")));
  });
})();
