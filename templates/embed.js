{#- Rendered once when Herald starts and served as /embed.js. `.js`
    templates are JSON-escaped: `{{ value }}` writes a JSON literal. -#}
{#- The reader-facing text comes from the message catalogs (locales/),
    one table per language Herald ships. `tooMany` holds the message for a
    few numbers of seconds, one of each plural form; the script picks the
    one whose plural form matches (Intl.PluralRules). -#}
/* Herald: turns every <form data-herald> on the page into an in-place
   signup. Without this script the same form posts normally and comes back
   through its return_to field. No dependencies, nothing inline: it fits a
   strict Content-Security-Policy. The host page styles it:
     form[data-herald-state="sending" | "success" | "error"]
     .herald-message, .herald-message--success, .herald-message--error,
     .herald-message-title, .herald-message-body */
(function () {
  "use strict";

  var MESSAGES = {
{%- for lang in languages %}
    {{ lang }}: {
      invalid: {{ t("embed-invalid") }},
      successTitle: {{ t("embed-success-title") }},
      successBody: {{ t("embed-success-body") }},
      tooMany: {
{%- for n in [1, 2, 5, 21] %}
        {{ n|string }}: {{ t("embed-too-many", seconds=n)|replace(n|string, "{seconds}") }}{% if not loop.last %},{% endif %}
{%- endfor %}
      },
      network: {{ t("embed-network") }},
      error: {{ t("embed-error") }},
      sending: {{ t("embed-sending") }}
    }{% if not loop.last %},{% endif %}
{%- endfor %}
  };
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

  /* "Try again in N seconds", in the plural form N takes in `lang`. */
  function tooMany(forms, lang, seconds) {
    var text = forms["5"];
    if (window.Intl && Intl.PluralRules) {
      var rules = new Intl.PluralRules(lang);
      var want = rules.select(seconds);
      var sample = Object.keys(forms).filter(function (n) {
        return rules.select(Number(n)) === want;
      })[0];
      if (sample) text = forms[sample];
    }
    return text.replace("{seconds}", String(seconds));
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
    var lang = language(form);
    var text = MESSAGES[lang];
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
        seconds = Math.max(1, isNaN(seconds) ? 60 : seconds);
        say("error", "", tooMany(text.tooMany, lang, seconds));
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
