/* Carolina's console: the records' pieces other views place (loaded after console.js).
 * window.CarolinaRecords.customerCard(h, kit)  the customer card of a conversation (a chat, a transcript)
 * window.CarolinaRecords.languageLabel(h, kit) the customer's language, for a chat's header
 * window.CarolinaRecords.cannedSelect(h, kit, onPick) a chat's canned-reply picker, in the customer's language
 * window.CarolinaRecords.fillCanned(select, h, kit) the same replies into a <select> of the caller's
 * window.CarolinaRecords.cannedEditor(kit)     the administrators' editor of the canned replies
 * window.CarolinaRecords.agentEditor(a, kit, done) the administrators' form to change an analyst
 * `h` is a handoff-like object: {conversation_id, language, customer}; `kit` is console.js's toolkit.
 * Customer text goes into the page as text, never as HTML (kit.el sets text).
 */
(function () {
  "use strict";

  function customerLanguage(h) { return h.language || (h.customer && h.customer.language) || ""; }

  // "Customer's language: Spanish", in the analyst's language.
  function languageLabel(h, kit) {
    var code = customerLanguage(h);
    if (!code) return null;
    return kit.el("span", { class: "lang-badge", lang: code, "data-language": code }, kit.t("customer_language") + ": " + kit.fieldValue(code, "language"));
  }

  // The card: name, company, language, open tickets (links), recent conversations (links), the
  // last satisfaction score. Drawn at once with what the caller knows, completed from the hub.
  function customerCard(h, kit) {
    var el = kit.el, t = kit.t;
    var body = el("div", { class: "card-body" });
    var card = el("aside", { class: "customer-card", "aria-label": t("customer_card") }, el("h2", { text: t("customer_card") }), body);
    var draw = function (c) {
      body.textContent = "";
      var who = c.contact || h.customer || null;
      var facts = el("dl");
      var add = function (label, value) { if (value) { facts.appendChild(el("dt", { text: label })); facts.appendChild(el("dd", {}, value)); } };
      add(t("name"), who ? who.name || "-" : t("anonymous"));
      add(t("company"), who && who.company);
      add(t("email"), who && who.email);
      add(t("language"), (c.language || customerLanguage(h)) ? kit.fieldValue(c.language || customerLanguage(h), "language") : "");
      if (c.satisfaction) {
        add(t("last_score"), kit.tf(c.satisfaction.after === "ticket" ? "score_after_ticket" : "score_after_chat",
          { score: c.satisfaction.score, date: kit.when(c.satisfaction.at) }));
      }
      body.appendChild(facts);
      if (c.open_tickets) {
        body.appendChild(el("h3", { text: t("open_tickets") + " (" + c.open_tickets.length + ")" }));
        var tickets = el("ul", { class: "card-tickets" });
        c.open_tickets.forEach(function (k) {
          tickets.appendChild(el("li", {}, el("a", { href: "#ticket/" + encodeURIComponent(k.number), text: k.number }),
            " · " + kit.named("statuses", k.status) + (k.summary ? " · " + k.summary : "")));
        });
        if (!c.open_tickets.length) tickets.appendChild(el("li", { text: t("none") }));
        body.appendChild(tickets);
      }
      if (c.conversations && c.conversations.length) {
        body.appendChild(el("h3", { text: t("recent_conversations") }));
        var list = el("ul", { class: "card-conversations" });
        c.conversations.forEach(function (x) {
          list.appendChild(el("li", {}, el("a", { href: "#transcript/" + encodeURIComponent(x.conversation_id), text: kit.when(x.started_at) }),
            x.satisfaction !== null && x.satisfaction !== undefined ? " · " + kit.tf("out_of", { score: x.satisfaction }) : ""));
        });
        body.appendChild(list);
      }
    };
    draw({});
    if (h.conversation_id) {
      kit.api("GET", "/conversations/" + encodeURIComponent(h.conversation_id) + "/customer").then(draw).catch(function (e) {
        if (e.message !== "unauthorized") body.appendChild(el("p", { class: "error", text: kit.problemText(e) }));
      });
    }
    return card;
  }

  // The canned replies of the customer's language into a <select> whose first option is its
  // prompt (the chat's); a chat in Spanish offers the Spanish ones whatever the console's language.
  var cannedCache = null;
  function cannedReplies(kit) {
    if (!cannedCache) cannedCache = kit.api("GET", "/canned-replies").then(function (d) { return d.replies; }, function (e) { cannedCache = null; throw e; });
    return cannedCache;
  }
  function fillCanned(select, h, kit) {
    cannedReplies(kit).then(function (replies) {
      (replies[customerLanguage(h)] || replies[kit.lang()] || []).forEach(function (text) {
        select.appendChild(kit.el("option", { value: text, text: text }));
      });
    }).catch(kit.failed);
    return select;
  }

  // The chat's canned-reply picker: the replies of the customer's language; onPick(text) puts the
  // chosen one into the draft (the chat decides how), and the picker goes back to its prompt.
  function cannedSelect(h, kit, onPick) {
    var select = kit.el("select", { "aria-label": kit.t("canned"), class: "canned", onchange: function () {
      if (select.value) onPick(select.value);
      select.value = "";
    } }, kit.el("option", { value: "", text: kit.t("canned") }));
    return fillCanned(select, h, kit);
  }

  // Administrators: one text box per language, one reply a line; saved to the hub (PUT).
  function cannedEditor(kit) {
    var el = kit.el, t = kit.t;
    var box = el("section", { class: "canned-editor", "aria-labelledby": "canned-title" }, el("h2", { id: "canned-title", text: t("canned_title") }), el("p", { class: "hint", text: t("canned_hint") }));
    cannedReplies(kit).then(function (replies) {
      Object.keys(replies).forEach(function (code) {
        var area = el("textarea", { rows: "5", id: "canned-" + code, "data-language": code });
        area.value = replies[code].join("\n");
        var problem = el("p", { class: "error", role: "alert" });
        box.appendChild(el("form", { class: "canned-language", onsubmit: function (e) {
          e.preventDefault();
          problem.textContent = "";
          kit.api("PUT", "/canned-replies/" + code, { replies: area.value.split("\n") }).then(function (d) {
            cannedCache = Promise.resolve(d.replies);
            area.value = d.replies[code].join("\n");
            kit.say(t("created"));
          }).catch(function (e) { if (e.message !== "unauthorized") problem.textContent = kit.problemText(e); });
        } }, el("label", { for: "canned-" + code, text: kit.fieldValue(code, "language") }), area,
          el("button", { type: "submit", class: "primary", text: t("save") + " · " + kit.fieldValue(code, "language") }), problem));
      });
    }).catch(kit.failed);
    return box;
  }

  // Administrators change an analyst's name, role and queues.
  function agentEditor(a, kit, done) {
    var el = kit.el, t = kit.t;
    var name = el("input", { required: true, value: a.name, "aria-label": t("name") + " · " + a.email });
    var role = el("select", { "aria-label": t("role") + " · " + a.email });
    ["agent", "supervisor", "admin"].forEach(function (r) { role.appendChild(el("option", { value: r, text: t("role_" + r), selected: r === a.role })); });
    var queues = el("select", { multiple: true, "aria-label": t("queues") + " · " + a.email });
    kit.queues().forEach(function (q) { queues.appendChild(el("option", { value: q, text: kit.named("queues", q), selected: a.queues.indexOf(q) >= 0 })); });
    var problem = el("p", { class: "error", role: "alert" });
    return el("details", { class: "agent-edit" }, el("summary", { text: t("edit") }),
      el("form", { onsubmit: function (e) {
        e.preventDefault();
        problem.textContent = "";
        var body = { name: name.value, queues: Array.prototype.map.call(queues.selectedOptions, function (o) { return o.value; }) };
        if (role.value !== a.role) body.role = role.value;
        kit.api("PATCH", "/agents/" + a.id, body).then(function () { kit.say(t("created")); if (done) done(); })
          .catch(function (e) { if (e.message !== "unauthorized") problem.textContent = kit.problemText(e); });
      } }, name, role, queues, el("button", { type: "submit", text: t("save") }), problem));
  }

  window.CarolinaRecords = {
    customerCard: customerCard, languageLabel: languageLabel, fillCanned: fillCanned, cannedSelect: cannedSelect,
    cannedEditor: cannedEditor, agentEditor: agentEditor
  };
})();
