{#- Rendered once when Herald starts and served as /embed.js. `.js`
    templates are JSON-escaped: `{{ value }}` writes a JSON literal. -#}
{%- set messages = {
  "en": {
    "invalid": "Please, enter correct email address",
    "successTitle": "Successfully subscribed",
    "successBody": "Thank you for signing up for this newsletter. We've sent you a confirmation email.",
    "tooMany": "Too many attempts. Please try again in {seconds} seconds.",
    "network": "We couldn't reach the newsletter server. Check your connection and try again.",
    "error": "Something went wrong. Please try again later.",
    "sending": "Sending…"
  },
  "uk": {
    "invalid": "Будь ласка, введіть правильну адресу електронної пошти",
    "successTitle": "Ви успішно підписалися",
    "successBody": "Дякуємо, що підписалися на цю розсилку. Ми надіслали вам листа для підтвердження.",
    "tooMany": "Забагато спроб. Спробуйте ще раз через {seconds} с.",
    "network": "Не вдалося з’єднатися із сервером розсилки. Перевірте з’єднання з інтернетом і спробуйте ще раз.",
    "error": "Щось пішло не так. Спробуйте, будь ласка, пізніше.",
    "sending": "Надсилаємо…"
  }
} -%}
/* Herald: turns every <form data-herald> on the page into an in-place
   signup. Without this script the same form posts normally and comes back
   through its return_to field. No dependencies, nothing inline: it fits a
   strict Content-Security-Policy. The host page styles it:
     form[data-herald-state="sending" | "success" | "error"]
     .herald-message, .herald-message--success, .herald-message--error,
     .herald-message-title, .herald-message-body */
(function () {
  "use strict";

  var MESSAGES = {{ messages }};
  var count = 0;

  /* The form's language: data-herald-lang, else the nearest lang attribute. */
  function language(form) {
    var holder = form.closest("[lang]");
    var tag = form.getAttribute("data-herald-lang") ||
      (holder && holder.getAttribute("lang")) || "en";
    var code = tag.toLowerCase().split("-")[0];
    return Object.prototype.hasOwnProperty.call(MESSAGES, code) ? code : "en";
  }

  /* The form's aria-live region: its [data-herald-message], or a new one. */
  function region(form) {
    var out = form.querySelector("[data-herald-message]");
    if (!out) {
      out = document.createElement("p");
      out.setAttribute("data-herald-message", "");
      out.hidden = true;
      form.appendChild(out);
    }
    if (!out.hasAttribute("aria-live")) out.setAttribute("aria-live", "polite");
    out.classList.add("herald-message");
    if (!out.id) {
      count += 1;
      out.id = "herald-message-" + count;
    }
    return out;
  }

  function describedBy(input, id) {
    var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/);
    if (ids.indexOf(id) < 0) {
      ids.push(id);
      input.setAttribute("aria-describedby", ids.join(" ").trim());
    }
  }

  function enhance(form) {
    if (form.hasAttribute("data-herald-ready")) return;
    form.setAttribute("data-herald-ready", "");
    var back = form.querySelector("[name=return_to]");
    if (back && !back.value) back.value = window.location.href;
    /* Too old a browser: leave the form to post as it would without script. */
    if (!window.fetch || !window.FormData || !window.URL || !form.closest) return;
    var text = MESSAGES[language(form)];
    var out = region(form);
    var email = form.querySelector("[name=email]");
    var button = form.querySelector(
      "button[type=submit], button:not([type]), input[type=submit]");
    var target = new URL(form.getAttribute("action") || "", window.location.href).href;
    /* Herald checks the address and answers in the reader's language. */
    form.noValidate = true;
    if (email) describedBy(email, out.id);
    var sending = false;

    function say(state, title, body) {
      out.textContent = "";
      out.classList.remove("herald-message--success", "herald-message--error");
      if (state === "success" || state === "error") {
        out.classList.add("herald-message--" + state);
      }
      if (title) {
        var strong = document.createElement("strong");
        strong.className = "herald-message-title";
        strong.textContent = title;
        out.appendChild(strong);
        out.appendChild(document.createTextNode(" "));
      }
      var span = document.createElement("span");
      span.className = "herald-message-body";
      span.textContent = body;
      out.appendChild(span);
      out.hidden = false;
      form.setAttribute("data-herald-state", state);
    }

    function answer(response) {
      if (response.status === 202) {
        form.reset();
        say("success", text.successTitle, text.successBody);
        return null;
      }
      if (response.status === 429) {
        var seconds = parseInt(response.headers.get("Retry-After"), 10);
        seconds = Math.max(2, isNaN(seconds) ? 60 : seconds);
        say("error", "", text.tooMany.replace("{seconds}", String(seconds)));
        return null;
      }
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (response.status === 422 && body && body.error === "invalid_email") {
          if (email) {
            email.setAttribute("aria-invalid", "true");
            email.focus();
          }
          say("error", "", text.invalid);
        } else {
          say("error", "", text.error);
        }
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (sending) return;
      sending = true;
      if (button) button.disabled = true;
      form.setAttribute("aria-busy", "true");
      if (email) email.removeAttribute("aria-invalid");
      say("sending", "", text.sending);
      var data = new FormData(form);
      var payload = {
        email: String(data.get("email") || ""),
        newsletters: data.getAll("newsletter").map(String),
        website: String(data.get("website") || "")
      };
      var name = data.get("name");
      if (name) payload.name = String(name);
      fetch(target, {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify(payload)
      }).then(answer, function () {
        say("error", "", text.network);
      }).catch(function () {
        say("error", "", text.error);
      }).then(function () {
        sending = false;
        if (button) button.disabled = false;
        form.removeAttribute("aria-busy");
      });
    });
  }

  function start() {
    var forms = document.querySelectorAll("form[data-herald]");
    for (var i = 0; i < forms.length; i += 1) enhance(forms[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
