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

  document.addEventListener("click", function (event) {
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
