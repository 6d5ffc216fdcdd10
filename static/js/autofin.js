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

// --- j-sign
// The contract signing page: the agree box and the code button open only once the contract
// has been read — scrolled to its end, or 我已阅读 (a plain link to ?read=1 without script).
(function () {
  function markRead(form) {
    if (!form || form.getAttribute("data-read") === "1") return;
    form.setAttribute("data-read", "1");
    var flag = form.querySelector("[data-read-flag]");
    if (flag) flag.value = "1";
    var boxes = form.querySelectorAll("input[name=agree], [data-read-enable]");
    for (var i = 0; i < boxes.length; i++) boxes[i].disabled = false;
    var doc = document.querySelector("[data-read-box]");
    if (doc) doc.classList.add("is-read");
    var hint = document.querySelector("[data-read-hint]");
    if (hint) hint.textContent = hint.getAttribute("data-read-done-text") || hint.textContent;
  }
  function gate() {
    return document.querySelector("form[data-read-gate]");
  }
  document.addEventListener(
    "scroll",
    function (event) {
      var box = event.target;
      if (!box.hasAttribute || !box.hasAttribute("data-read-box")) return;
      if (box.scrollTop + box.clientHeight >= box.scrollHeight - 24) markRead(gate());
    },
    true
  );
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-read-done]") : null;
    if (!link || !gate()) return;
    event.preventDefault();
    markRead(gate());
    var agree = gate().querySelector("input[name=agree]");
    if (agree) agree.focus();
  });
})();
