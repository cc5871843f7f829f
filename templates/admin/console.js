// Herald console: progressive enhancement only; every page works without it.
// Served from /admin/static/console.js (the CSP allows scripts from 'self' only).
"use strict";

// Forms that ask before they act: <form data-confirm="Really?">.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// Copy buttons: <button data-copy="id-of-element">.
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (source && navigator.clipboard) {
      navigator.clipboard.writeText(source.textContent).then(function () {
        button.textContent = "Copied";
      });
    }
  });
});

// A digest's live progress: poll its JSON every 500 ms until it is done.
(function () {
  var bar = document.getElementById("digest-progress");
  if (!bar || bar.getAttribute("data-done") === "true") {
    return;
  }
  var url = bar.getAttribute("data-url");
  var set = function (name, value) {
    document.querySelectorAll('[data-field="' + name + '"]').forEach(function (el) {
      el.textContent = String(value);
    });
  };
  var tick = function () {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(function (d) {
        bar.value = d.percent;
        ["percent", "status", "sent", "failed", "skipped", "pending", "recipients"].forEach(function (k) {
          set(k, d[k]);
        });
        if (d.done) {
          // The finished page shows the final counts, failures and actions.
          window.location.reload();
        } else {
          window.setTimeout(tick, 500);
        }
      })
      .catch(function () {
        set("status", "progress unavailable; reload the page");
      });
  };
  window.setTimeout(tick, 500);
})();

// CSV import with an upload progress bar (XMLHttpRequest reports upload progress).
(function () {
  var form = document.getElementById("import-form");
  if (!form) {
    return;
  }
  var bar = document.getElementById("import-progress");
  var result = document.getElementById("import-result");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = form.querySelector('input[type="file"]').files[0];
    if (!file) {
      result.textContent = "Choose a CSV file first.";
      return;
    }
    var params = new URLSearchParams();
    var confirmed = form.querySelector('input[name="confirmed"]');
    if (confirmed && confirmed.checked) {
      params.set("confirmed", "true");
      params.set("consent", form.querySelector('input[name="consent"]').value);
    }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("data-url") + "?" + params.toString());
    xhr.setRequestHeader("Content-Type", "text/csv");
    xhr.setRequestHeader("X-CSRF-Token", form.querySelector('input[name="csrf"]').value);
    bar.hidden = false;
    bar.value = 0;
    result.textContent = "Uploading…";
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        bar.value = Math.round((e.loaded / e.total) * 100);
      }
    });
    xhr.addEventListener("load", function () {
      bar.value = 100;
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (_) { body = {}; }
      if (xhr.status === 200) {
        result.textContent = "Imported " + body.imported + ", skipped " + body.skipped +
          ", invalid " + body.invalid_total + ", suppressed " + body.suppressed + ".";
      } else {
        result.textContent = "Import refused: " + (body.message || ("HTTP " + xhr.status));
      }
    });
    xhr.addEventListener("error", function () {
      result.textContent = "The upload failed.";
    });
    xhr.send(file);
  });
})();
