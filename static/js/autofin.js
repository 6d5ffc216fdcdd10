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

  // <div data-shown-if="field name">: shown only while its form's field of that name has a
  // value (the co-applicant's fields under 无 hidden); without script it shows, and the server
  // ignores what it holds.
  function showIfFilled(root) {
    (root || document).querySelectorAll("[data-shown-if]").forEach(function (box) {
      var form = box.closest("form");
      var field = form && form.elements[box.getAttribute("data-shown-if")];
      if (field) box.hidden = !field.value;
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { showIfFilled(); });
  else showIfFilled();
  document.addEventListener("change", function (event) {
    if (event.target.form && event.target.form.querySelector("[data-shown-if]")) showIfFilled(event.target.form);
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

// --- j-entry
// <button data-countdown="60" data-countdown-start>: a code was just sent, so the send-code
// button waits 60 seconds, counting down (the server refuses a resend within a minute anyway).
(function () {
  "use strict";
  function countdown(button) {
    var label = button.textContent;
    var left = parseInt(button.getAttribute("data-countdown"), 10) || 60;
    var text = button.getAttribute("data-countdown-text") || "";
    button.disabled = true;
    button.textContent = left + " " + text;
    var timer = window.setInterval(function () {
      left -= 1;
      if (left <= 0) {
        window.clearInterval(timer);
        button.disabled = false;
        button.textContent = label;
        return;
      }
      button.textContent = left + " " + text;
    }, 1000);
  }
  function start() {
    document.querySelectorAll("[data-countdown][data-countdown-start]").forEach(countdown);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

// The calculator: as soon as an input moves, the shown results say they are out of date until
// the repriced ones replace them (the new results arrive with the notice hidden).
(function () {
  "use strict";
  function markStale(event) {
    var form = event.target.closest ? event.target.closest("form#calculator") : null;
    var notice = form ? document.getElementById("calc-stale") : null;
    if (notice) notice.hidden = false;
  }
  document.addEventListener("input", markStale);
  document.addEventListener("change", markStale);
})();

// A form page that came back with errors: bring its summary into view (its links jump to each
// field), so the first thing a person sees is what to fix.
(function () {
  "use strict";
  function show() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) return;
    summary.scrollIntoView({ block: "start" });
    summary.focus({ preventScroll: true });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", show);
  else show();
})();

// <input data-id-derive="出生日期：%(date)s · 性别：%(sex)s">: a resident ID number's birth date
// (digits 7-14) and sex (digit 17: odd male, even female) shown under it as it is typed; the
// server derives the same and checks the number's check character.
(function () {
  "use strict";
  function derive(input) {
    var text = (input.value || "").trim().toUpperCase();
    var out = input.parentNode.querySelector(".id-derived");
    if (!out) {
      out = document.createElement("span");
      out.className = "help id-derived";
      out.setAttribute("aria-live", "polite");
      input.insertAdjacentElement("afterend", out);
    }
    if (!/^\d{17}[\dX]$/.test(text)) {
      out.textContent = "";
      return;
    }
    var date = text.slice(6, 10) + "-" + text.slice(10, 12) + "-" + text.slice(12, 14);
    var sex = parseInt(text.charAt(16), 10) % 2 ? input.getAttribute("data-id-male") : input.getAttribute("data-id-female");
    out.textContent = input.getAttribute("data-id-derive").replace("%(date)s", date).replace("%(sex)s", sex);
  }
  document.addEventListener("input", function (event) {
    var el = event.target;
    if (el.hasAttribute && el.hasAttribute("data-id-derive")) derive(el);
  });
  function start() {
    document.querySelectorAll("input[data-id-derive]").forEach(function (el) {
      if (el.value) derive(el);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
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

// --- j-cust
// <form data-upload> (an application's documents step): choosing a file uploads it at once
// with a progress bar, and the server's answer replaces #documents-panel, so the new item (or
// the server's error) shows without a reload. Too big or a wrong type is refused here first,
// in the words the form carries (data-too-large, data-bad-type). Without script each form's
// own 上传 button posts it and the page reloads.
(function () {
  "use strict";
  if (!window.XMLHttpRequest || !window.FormData || !window.DOMParser) return;
  // the pick buttons hide their native file input only when this script runs (CSS .js-upload)
  document.documentElement.classList.add("js-upload");
  var ALLOWED = ["image/jpeg", "image/png", "image/webp", "application/pdf"];

  function enhance(root) {
    var buttons = (root || document).querySelectorAll("form[data-upload] [data-upload-submit]");
    for (var i = 0; i < buttons.length; i++) buttons[i].hidden = true;
  }
  function showError(form, text) {
    var box = form.querySelector("[data-upload-error]");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
  }
  function replacePanel(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    var panel = document.getElementById("documents-panel");
    var next = fresh.getElementById("documents-panel");
    if (!panel || !next) return false;
    var notes = fresh.querySelector(".messages");
    var old = document.querySelector(".messages");
    if (old) old.remove();
    if (notes) panel.parentNode.insertBefore(document.importNode(notes, true), panel);
    var node = document.importNode(next, true);
    panel.replaceWith(node);
    enhance(node);
    return true;
  }
  function upload(form) {
    var input = form.querySelector("input[type=file]");
    var file = input && input.files && input.files[0];
    if (!file) return;
    var error = form.querySelector("[data-upload-error]");
    if (error) error.hidden = true;
    var max = parseInt(form.getAttribute("data-max-bytes"), 10);
    if (max && file.size > max) return showError(form, form.getAttribute("data-too-large"));
    if (file.type && ALLOWED.indexOf(file.type) < 0) {
      return showError(form, form.getAttribute("data-bad-type"));
    }
    var bar = form.querySelector("[data-upload-progress]");
    if (bar) {
      bar.value = 0;
      bar.hidden = false;
    }
    form.setAttribute("aria-busy", "true");
    var xhr = new XMLHttpRequest();
    xhr.upload.addEventListener("progress", function (event) {
      if (bar && event.lengthComputable) bar.value = Math.round((event.loaded * 100) / event.total);
    });
    xhr.addEventListener("load", function () {
      form.removeAttribute("aria-busy");
      if (xhr.status < 500 && replacePanel(xhr.responseText)) return;
      // stored, and the step is over (the last requested document sent the case back to the
      // underwriters): go where the server sent the page, as a plain post would have
      if (xhr.status < 400 && xhr.responseURL) return window.location.assign(xhr.responseURL);
      if (bar) bar.hidden = true;
      showError(form, form.getAttribute("data-failed"));
    });
    xhr.addEventListener("error", function () {
      form.removeAttribute("aria-busy");
      if (bar) bar.hidden = true;
      showError(form, form.getAttribute("data-failed"));
    });
    xhr.open("POST", form.getAttribute("action") || window.location.href);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.send(new FormData(form));
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    var form = input.form;
    if (input.type !== "file" || !form || !form.hasAttribute("data-upload")) return;
    upload(form);
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-upload")) return;
    event.preventDefault();
    upload(form);
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      enhance(document);
    });
  } else enhance(document);
})();
