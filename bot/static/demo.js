/* The demo page: in demo mode, pick a sample customer (bot/domain/demo.py) and a
 * language, then load the widget as that customer. Outside demo mode the
 * widget loads as it would on any portal page, anonymous. */
(function () {
  "use strict";
  var params = new URLSearchParams(location.search);
  var langs = ["pt", "es", "en"];

  function loadWidget(token, lang) {
    document.documentElement.lang = lang;
    var tag = document.createElement("script");
    tag.src = "/static/widget.js";
    if (token) tag.setAttribute("data-token", token);
    document.body.appendChild(tag);
  }

  fetch("/api/demo/customers").then(function (reply) {
    if (!reply.ok) { loadWidget(null, "pt"); return; }
    return reply.json().then(function (body) {
      var who = params.get("as") || localStorage.getItem("carolina.demo.as") || "maria";
      var lang = params.get("lang") || localStorage.getItem("carolina.demo.lang") || "pt";
      if (langs.indexOf(lang) < 0) lang = "pt";
      if (!body.customers.some(function (c) { return c.key === who; })) who = body.customers[0].key;
      // Another customer is another conversation.
      if (localStorage.getItem("carolina.demo.as") !== who || localStorage.getItem("carolina.demo.lang") !== lang) {
        localStorage.removeItem("carolina.session");
      }
      localStorage.setItem("carolina.demo.as", who);
      localStorage.setItem("carolina.demo.lang", lang);

      var picker = document.getElementById("demo-as"), language = document.getElementById("demo-lang");
      body.customers.forEach(function (c) {
        var option = document.createElement("option");
        option.value = c.key; option.textContent = c.label; option.selected = c.key === who;
        picker.appendChild(option);
      });
      language.value = lang;
      function change() { location.search = "?as=" + encodeURIComponent(picker.value) + "&lang=" + language.value; }
      picker.addEventListener("change", change);
      language.addEventListener("change", change);
      document.getElementById("demo").style.display = "block";

      return fetch("/api/demo/customers/" + encodeURIComponent(who) + "/token", { method: "POST" })
        .then(function (r) { return r.json(); })
        .then(function (t) { loadWidget(t.token, lang); });
    });
  }).catch(function () { loadWidget(null, "pt"); });
})();
