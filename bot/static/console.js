/* Carolina's agent console: one page over the documented agent API (/api/agent/...)
 * and its socket.io namespace /agent (spoken over a plain WebSocket, as the widget
 * does). No build step, no framework. Every piece of customer text goes into the
 * page as text (textContent), never as HTML.
 */
(function () {
  "use strict";
  var T = {
    pt: { skip: "Ir para o conteúdo", nav_queue: "Fila", nav_transcripts: "Conversas", nav_tickets: "Chamados", nav_admin: "Analistas", nav_reports: "Relatórios", role_agent: "analista", role_supervisor: "supervisor", role_admin: "administrador", language: "Idioma", logout: "Sair", online: "Online", offline: "Offline", login: "Entrar", email: "E-mail", password: "Senha", bad_credentials: "E-mail ou senha incorretos.", throttled: "Muitas tentativas: espere alguns segundos e tente de novo.", nav_password: "Senha", current_password: "Senha atual", new_password: "Nova senha", change_password: "Trocar a senha", password_changed: "Senha trocada; suas outras sessões foram encerradas.", disabled: "Desativado", active: "Ativo", disable: "Desativar", enable: "Reativar", reset_password: "Nova senha", actions: "Ações", confirm_disable: "Desativar este analista? As sessões dele terminam e as conversas voltam à fila.", session_ended: "Sua sessão terminou; entre de novo.", waiting: "Aguardando", mine: "Minhas conversas", none: "Nada por aqui.", customer: "Cliente", company: "Empresa", queue: "Fila", reason: "Motivo", criticality: "Criticidade", waited: "Espera", accept: "Atender", open: "Abrir", send: "Enviar", canned: "Respostas prontas", transfer: "Transferir", close: "Encerrar", release: "Devolver à Carolina", make_ticket: "Virar chamado", fields: "Dados coletados", message: "Mensagem", new_message: "nova mensagem", search: "Buscar", number: "Nº do chamado", contact: "Contato", words: "Palavras", since: "De", until: "Até", any: "Todos", started: "Início", tickets: "Chamados", export_txt: "Exportar texto", export_json: "Exportar JSON", print: "Imprimir", status: "Status", note: "Nota", change: "Alterar", summary: "Resumo", agents: "Analistas", name: "Nome", queues: "Filas", role: "Papel", create: "Criar", created: "Feito.", taken: "Outro analista já atendeu.", error: "Não deu certo: ", min: "min", transcript: "Conversa", ticket_made: "Chamado aberto: ", typing: "O cliente está digitando…" },
    es: { skip: "Ir al contenido", nav_queue: "Fila", nav_transcripts: "Conversaciones", nav_tickets: "Solicitudes", nav_admin: "Analistas", nav_reports: "Informes", role_agent: "analista", role_supervisor: "supervisor", role_admin: "administrador", language: "Idioma", logout: "Salir", online: "En línea", offline: "Desconectado", login: "Entrar", email: "E-mail", password: "Contraseña", bad_credentials: "E-mail o contraseña incorrectos.", throttled: "Demasiados intentos: espere unos segundos y vuelva a intentarlo.", nav_password: "Contraseña", current_password: "Contraseña actual", new_password: "Contraseña nueva", change_password: "Cambiar la contraseña", password_changed: "Contraseña cambiada; sus otras sesiones se cerraron.", disabled: "Desactivado", active: "Activo", disable: "Desactivar", enable: "Reactivar", reset_password: "Contraseña nueva", actions: "Acciones", confirm_disable: "¿Desactivar a este analista? Sus sesiones terminan y sus conversaciones vuelven a la fila.", session_ended: "Su sesión terminó; vuelva a entrar.", waiting: "En espera", mine: "Mis conversaciones", none: "Nada por aquí.", customer: "Cliente", company: "Empresa", queue: "Fila", reason: "Motivo", criticality: "Criticidad", waited: "Espera", accept: "Atender", open: "Abrir", send: "Enviar", canned: "Respuestas rápidas", transfer: "Transferir", close: "Cerrar", release: "Devolver a Carolina", make_ticket: "Convertir en solicitud", fields: "Datos recogidos", message: "Mensaje", new_message: "mensaje nuevo", search: "Buscar", number: "Nº de solicitud", contact: "Contacto", words: "Palabras", since: "Desde", until: "Hasta", any: "Todos", started: "Inicio", tickets: "Solicitudes", export_txt: "Exportar texto", export_json: "Exportar JSON", print: "Imprimir", status: "Estado", note: "Nota", change: "Cambiar", summary: "Resumen", agents: "Analistas", name: "Nombre", queues: "Filas", role: "Rol", create: "Crear", created: "Hecho.", taken: "Otro analista ya atendió.", error: "No funcionó: ", min: "min", transcript: "Conversación", ticket_made: "Solicitud abierta: ", typing: "El cliente está escribiendo…" },
    en: { skip: "Skip to content", nav_queue: "Queue", nav_transcripts: "Transcripts", nav_tickets: "Tickets", nav_admin: "Analysts", nav_reports: "Reports", role_agent: "analyst", role_supervisor: "supervisor", role_admin: "administrator", language: "Language", logout: "Log out", online: "Online", offline: "Offline", login: "Log in", email: "E-mail", password: "Password", bad_credentials: "Wrong e-mail or password.", throttled: "Too many attempts: wait a few seconds and try again.", nav_password: "Password", current_password: "Current password", new_password: "New password", change_password: "Change password", password_changed: "Password changed; your other sessions were ended.", disabled: "Disabled", active: "Active", disable: "Disable", enable: "Enable", reset_password: "New password", actions: "Actions", confirm_disable: "Disable this analyst? Their sessions end and their chats go back to the queue.", session_ended: "Your session ended; log in again.", waiting: "Waiting", mine: "My chats", none: "Nothing here.", customer: "Customer", company: "Company", queue: "Queue", reason: "Reason", criticality: "Criticality", waited: "Waiting", accept: "Accept", open: "Open", send: "Send", canned: "Canned replies", transfer: "Transfer", close: "Close", release: "Give back to Carolina", make_ticket: "Turn into a ticket", fields: "Gathered details", message: "Message", new_message: "new message", search: "Search", number: "Ticket number", contact: "Contact", words: "Words", since: "From", until: "To", any: "Any", started: "Started", tickets: "Tickets", export_txt: "Export text", export_json: "Export JSON", print: "Print", status: "Status", note: "Note", change: "Change", summary: "Summary", agents: "Analysts", name: "Name", queues: "Queues", role: "Role", create: "Create", created: "Done.", taken: "Another analyst took it.", error: "That didn't work: ", min: "min", transcript: "Transcript", ticket_made: "Ticket opened: ", typing: "The customer is typing…" }
  };
  var CANNED = {
    pt: ["Olá! Sou analista do suporte e já li o que você contou à Carolina.", "Pode me mandar um print da mensagem de erro?", "Vou verificar e já volto, só um momento.", "Consegue testar de novo, por favor?"],
    es: ["¡Hola! Soy analista de soporte y ya leí lo que le contaste a Carolina.", "¿Puedes enviarme una captura del mensaje de error?", "Voy a verificarlo y ya vuelvo, un momento.", "¿Puedes probar de nuevo, por favor?"],
    en: ["Hi! I'm a support analyst and I've read what you told Carolina.", "Could you send me a screenshot of the error message?", "I'll check and be right back, one moment.", "Could you try again, please?"]
  };
  // Queues, statuses, criticalities and the incident fields' labels come from the hub
  // (GET /api/vocabulary, common/vocabulary.yml), loaded before anything is drawn.
  var VOCABULARY = { queues: {}, statuses: {}, criticalities: {}, fields: [] };
  var QUEUES = [], STATUSES = [], CRITICALITIES = [];
  var lang = localStorage.getItem("carolina.console.lang") || (navigator.language || "pt").slice(0, 2);
  if (!T[lang]) lang = "pt";
  var me = null, csrf = null, ws = null, unread = 0, view = null;
  var main = document.getElementById("main");
  var toast = document.querySelector(".toast");

  function t(key) { return T[lang][key] || key; }
  // The names around the gathered details that are the console's own (the fields' are the vocabulary's).
  var FIELD_LABELS = {
    pt: { impact: "Impacto", urgency: "Urgência", email: "E-mail", language: "Idioma", satisfaction: "Satisfação", yes: "sim", no: "não" },
    es: { impact: "Impacto", urgency: "Urgencia", email: "E-mail", language: "Idioma", satisfaction: "Satisfacción", yes: "sí", no: "no" },
    en: { impact: "Impact", urgency: "Urgency", email: "E-mail", language: "Language", satisfaction: "Satisfaction", yes: "yes", no: "no" }
  };
  function named(kind, key) { var labels = VOCABULARY[kind][key]; return (labels && (labels.label || labels)[lang]) || key; }
  function fieldLabel(key) {
    for (var i = 0; i < VOCABULARY.fields.length; i++) if (VOCABULARY.fields[i].name === key) return VOCABULARY.fields[i].label[lang];
    return FIELD_LABELS[lang][key] || T[lang][key] || key;
  }
  function fieldValue(value) { return value === true ? FIELD_LABELS[lang].yes : value === false ? FIELD_LABELS[lang].no : String(value); }
  // el("tag", {attr: value, onclick: fn}, child...): children are nodes or text (set as text, never HTML).
  function el(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), v);
      else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v === true ? "" : v);
    });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      node.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
    }
    return node;
  }
  function say(text) { toast.textContent = text; setTimeout(function () { if (toast.textContent === text) toast.textContent = ""; }, 4000); }
  function translate() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-t]").forEach(function (n) { n.textContent = t(n.getAttribute("data-t")); });
    document.querySelector(".language").value = lang;
    if (me) presenceButton();
  }

  // ---- the API ------------------------------------------------------------
  function api(method, path, body) { return request(method, "/api/agent" + path, body); }
  // Any of the hub's console APIs (the reports' are under /api/reports): the session's cookie, and its CSRF token on a change.
  function request(method, url, body) {
    var headers = { "Accept": "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
    return fetch(url, { method: method, headers: headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          // The session is gone (not a wrong password: logging in, or the current one when changing it).
          if (r.status === 401 && data.error !== "bad_credentials") { showLogin(); throw new Error("unauthorized"); }
          if (!r.ok) { var e = new Error(data.message || data.error || r.status); e.code = data.error; throw e; }
          return data;
        });
      });
  }
  function failed(e) { if (e.message !== "unauthorized") say(t("error") + e.message); }

  // ---- socket.io /agent over a WebSocket ----------------------------------
  function connect() {
    if (ws) return;
    ws = new WebSocket(location.origin.replace(/^http/, "ws") + "/socket.io/?EIO=4&transport=websocket");
    ws.onmessage = function (m) {
      var d = m.data;
      if (d === "2") { ws.send("3"); return; }
      if (d[0] === "0") { ws.send("40/agent,"); return; }
      // The hub ended this console's namespace (logout elsewhere, password changed, disabled, expired):
      // still signed in, join again; otherwise the login form.
      if (d.slice(0, 8) === "41/agent" || d.slice(0, 8) === "44/agent") {
        api("GET", "/me").then(function () { ws.send("40/agent,"); }).catch(function () { showLogin(t("session_ended")); });
        return;
      }
      if (d.slice(0, 9) !== "42/agent,") return;
      var packet = JSON.parse(d.slice(9));
      onEvent(packet[0], packet[1]);
    };
    ws.onclose = function () { ws = null; if (me) setTimeout(connect, 2000); };
  }
  function emit(name, data) { if (ws && ws.readyState === 1) ws.send("42/agent," + JSON.stringify([name, data])); }
  function onEvent(name, data) {
    if (name === "handoff_queued" || name === "handoff_taken" || name === "queue_changed" || name === "handoff_ended") {
      if (view === "queue") renderQueue();
      if (name === "handoff_ended") say(t("nav_queue") + ": #" + data.id + " " + data.status);
    } else if (name === "message" && view && view.conversation === data.conversation_id) {
      view.log.appendChild(messageItem({ sender: data.metadata.from, text: data.text, payload: { agent_name: data.metadata.agent_name } }));
      view.log.scrollTop = view.log.scrollHeight;
      if (data.metadata.from === "customer") notify();
    } else if (name === "typing" && view && view.conversation === data.conversation_id) {
      view.typing.textContent = t("typing");
      clearTimeout(view.typingTimer);
      view.typingTimer = setTimeout(function () { view.typing.textContent = ""; }, 3000);
    } else if (name === "message" && data.metadata.from === "customer") {
      notify();
    }
  }
  // A customer wrote: a beep, and the count in the tab's title until the analyst looks.
  function notify() {
    if (!document.hasFocus()) { unread += 1; document.title = "(" + unread + ") " + t("new_message") + " · Carolina"; }
    try {
      var audio = new (window.AudioContext || window.webkitAudioContext)(), osc = audio.createOscillator();
      osc.connect(audio.destination); osc.frequency.value = 880; osc.start(); osc.stop(audio.currentTime + 0.15);
    } catch (e) { /* no sound available */ }
  }
  window.addEventListener("focus", function () { unread = 0; document.title = "Carolina · Console"; });

  // ---- views ----------------------------------------------------------------
  function page(title) {
    main.textContent = "";
    main.appendChild(el("h1", { text: title }));
    document.querySelectorAll(".top nav a").forEach(function (a) {
      if (("#" + location.hash.slice(1).split("/")[0]) === a.getAttribute("href")) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    });
  }
  function showLogin(problem) {
    me = null; csrf = null; view = null;
    if (ws) { ws.onclose = null; ws.close(); ws = null; }
    document.querySelector(".top").hidden = true;
    main.textContent = "";
    var email = el("input", { type: "email", name: "email", required: true, autocomplete: "username" });
    var password = el("input", { type: "password", name: "password", required: true, autocomplete: "current-password" });
    var message = el("p", { class: "error", role: "alert", text: problem || "" });
    var form = el("form", { class: "login", onsubmit: function (e) {
      e.preventDefault();
      api("POST", "/login", { email: email.value, password: password.value }).then(function (data) {
        me = data.agent; csrf = data.csrf_token; started();
      }).catch(function (e) { message.textContent = t(e.code === "throttled" ? "throttled" : "bad_credentials"); });
    } },
      el("h1", { text: "Carolina · Console" }),
      el("label", {}, t("email"), email), el("label", {}, t("password"), password),
      message, el("button", { type: "submit", class: "primary", text: t("login") }));
    main.appendChild(form);
    email.focus();
  }
  function started() {
    document.querySelector(".top").hidden = false;
    document.querySelector(".me").textContent = me.name;
    document.querySelector(".admin-only").hidden = me.role !== "admin";
    document.querySelector(".reports-only").hidden = !canReport();
    translate();
    connect();
    route();
  }
  // Supervisors and administrators read the reports (the API says the same: 403 for anyone else).
  function canReport() { return me.role === "admin" || me.role === "supervisor"; }
  function presenceButton() {
    var b = document.querySelector(".presence");
    b.textContent = t(me.presence);
    b.className = "presence " + me.presence;
    b.setAttribute("aria-pressed", me.presence === "online" ? "true" : "false");
  }
  function minutesSince(iso) { return Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 60000)) + " " + t("min"); }
  function table(headers, rows) {
    return el("table", {}, el("thead", {}, el("tr", {}, headers.map(function (h) { return el("th", { scope: "col", text: h }); }).reduce(function (f, n) { f.appendChild(n); return f; }, document.createDocumentFragment()))),
      rows.reduce(function (body, cells) {
        var tr = el("tr");
        cells.forEach(function (c) { tr.appendChild(el("td", {}, c)); });
        body.appendChild(tr); return body;
      }, el("tbody")));
  }

  function renderQueue() {
    view = "queue";
    return api("GET", "/handoffs").then(function (data) {
      if (view !== "queue") return;
      page(t("nav_queue"));
      main.appendChild(el("h2", { text: t("waiting") + " (" + data.queued.length + ")" }));
      main.appendChild(data.queued.length ? table([t("customer"), t("company"), t("queue"), t("reason"), t("criticality"), t("waited"), ""],
        data.queued.map(function (h) {
          return [(h.customer && h.customer.name) || "-", (h.customer && h.customer.company) || "-", named("queues", h.queue), h.reason || "-", h.criticality ? named("criticalities", h.criticality) : "-", minutesSince(h.created_at),
            el("button", { type: "button", class: "primary", text: t("accept"), onclick: function () {
              api("POST", "/handoffs/" + h.id + "/accept").then(function () { location.hash = "#chat/" + h.id; })
                .catch(function (e) { say(e.code === "taken" ? t("taken") : t("error") + e.message); renderQueue(); });
            } })];
        })) : el("p", { text: t("none") }));
      main.appendChild(el("h2", { text: t("mine") }));
      main.appendChild(data.mine.length ? table([t("customer"), t("queue"), t("reason"), ""], data.mine.map(function (h) {
        return [(h.customer && h.customer.name) || "-", named("queues", h.queue), h.reason || "-", el("a", { href: "#chat/" + h.id, text: t("open") })];
      })) : el("p", { text: t("none") }));
    }).catch(failed);
  }

  function messageItem(m) {
    var who = (m.payload && m.payload.agent_name) || { customer: t("customer"), bot: "Carolina", agent: "", system: "" }[m.sender] || "";
    return el("li", { class: "msg " + m.sender }, who ? el("span", { class: "who", text: who }) : null, m.text,
      m.intent ? el("span", { class: "nlu", text: m.intent + " · " + Number(m.confidence || 0).toFixed(2) }) : null);
  }
  function fieldsBox(title, fields) {
    var dl = el("dl");
    Object.keys(fields || {}).forEach(function (k) {
      if (fields[k] === null || fields[k] === "") return;
      dl.appendChild(el("dt", { text: fieldLabel(k) })); dl.appendChild(el("dd", { text: fieldValue(fields[k]) }));
    });
    return el("aside", { class: "fields", "aria-label": title }, el("h2", { text: title }), dl);
  }

  function renderChat(id) {
    api("GET", "/handoffs/" + id).then(function (h) {
      page(t("transcript") + " · " + ((h.customer && h.customer.name) || "-") + " · " + named("queues", h.queue));
      var log = el("ol", { class: "log", "aria-live": "polite", "aria-label": t("transcript") });
      h.transcript.forEach(function (m) { log.appendChild(messageItem(m)); });
      var typing = el("p", { class: "typing", "aria-live": "polite" });
      view = { conversation: h.conversation_id, log: log, typing: typing };
      var text = el("textarea", { "aria-label": t("message"), maxlength: "4000" });
      var typedAt = 0;
      text.addEventListener("input", function () {
        if (Date.now() - typedAt > 2000) { typedAt = Date.now(); emit("typing", { conversation_id: h.conversation_id }); }
      });
      var send = function () {
        var value = text.value.trim();
        if (!value) return;
        api("POST", "/handoffs/" + id + "/messages", { text: value }).then(function () { text.value = ""; text.focus(); }).catch(failed);
      };
      text.addEventListener("keydown", function (e) { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); send(); } });
      var canned = el("select", { "aria-label": t("canned"), onchange: function () { if (canned.value) { text.value = canned.value; canned.value = ""; text.focus(); } } },
        el("option", { value: "", text: t("canned") }));
      CANNED[lang].forEach(function (c) { canned.appendChild(el("option", { value: c, text: c })); });
      var target = el("select", { "aria-label": t("queue") });
      QUEUES.forEach(function (q) { if (q !== h.queue) target.appendChild(el("option", { value: q, text: named("queues", q) })); });
      var after = function (promise) { promise.then(function (r) { if (r && r.ticket) say(t("ticket_made") + r.ticket); location.hash = "#queue"; }).catch(failed); };
      var live = h.status === "accepted" && h.agent && h.agent.id === me.id;
      main.appendChild(el("div", { class: "chat" },
        el("section", {}, log, typing,
          live ? el("div", { class: "composer" }, text, el("button", { type: "button", class: "primary", text: t("send"), onclick: send })) : null,
          el("div", { class: "actions" }, live ? canned : null,
            live ? target : null, live ? el("button", { type: "button", text: t("transfer"), onclick: function () { after(api("POST", "/handoffs/" + id + "/transfer", { queue: target.value })); } }) : null,
            live ? el("button", { type: "button", text: t("close"), onclick: function () { after(api("POST", "/handoffs/" + id + "/close")); } }) : null,
            live ? el("button", { type: "button", text: t("release"), onclick: function () { after(api("POST", "/handoffs/" + id + "/release")); } }) : null,
            h.ticket ? el("span", { text: t("ticket_made") + h.ticket }) :
              el("button", { type: "button", text: t("make_ticket"), onclick: function () { after(api("POST", "/handoffs/" + id + "/ticket")); } }))),
        fieldsBox(t("fields"), Object.assign({ reason: h.reason, criticality: h.criticality, company: h.customer && h.customer.company, email: h.customer && h.customer.email }, h.fields || {}))));
      log.scrollTop = log.scrollHeight;
      if (live) text.focus();
    }).catch(failed);
  }

  function filterForm(fields, onsubmit) {
    var inputs = {};
    var form = el("form", { class: "filters", onsubmit: function (e) {
      e.preventDefault();
      var query = new URLSearchParams();
      Object.keys(inputs).forEach(function (k) { if (inputs[k].value) query.set(k, inputs[k].value); });
      onsubmit(query.toString());
    } });
    fields.forEach(function (f) {
      var input = f.options ? el("select", { name: f.name }, el("option", { value: "", text: t("any") })) : el("input", { name: f.name, type: f.type || "text" });
      (f.options || []).forEach(function (o) { input.appendChild(el("option", { value: o, text: f.kind ? named(f.kind, o) : o })); });
      inputs[f.name] = input;
      form.appendChild(el("label", {}, t(f.label), input));
    });
    form.appendChild(el("button", { type: "submit", class: "primary", text: t("search") }));
    return form;
  }

  function renderTranscripts() {
    view = "transcripts";
    page(t("nav_transcripts"));
    var results = el("div");
    var run = function (query) {
      api("GET", "/transcripts?" + query).then(function (data) {
        results.textContent = "";
        results.appendChild(data.conversations.length ? table([t("started"), t("customer"), t("company"), t("tickets"), t("queues"), ""], data.conversations.map(function (c) {
          return [new Date(c.started_at).toLocaleString(lang), (c.contact && c.contact.name) || "-", (c.contact && c.contact.company) || "-", c.tickets.join(", ") || "-", c.queues.join(", ") || "-",
            el("a", { href: "#transcript/" + c.conversation_id, text: t("open") })];
        })) : el("p", { text: t("none") }));
      }).catch(failed);
    };
    main.appendChild(filterForm([
      { name: "number", label: "number" }, { name: "contact", label: "contact" }, { name: "company", label: "company" },
      { name: "q", label: "words" }, { name: "language", label: "language", options: ["pt", "es", "en"] },
      { name: "since", label: "since", type: "date" }, { name: "until", label: "until", type: "date" }], run));
    main.appendChild(results);
    run("");
  }

  function renderTranscript(id) {
    view = "transcript";
    api("GET", "/transcripts/" + id).then(function (r) {
      page(t("transcript") + " · " + ((r.contact && r.contact.name) || "-"));
      main.appendChild(el("div", { class: "actions" },
        el("a", { href: "/api/agent/transcripts/" + id + "?format=txt", download: "", text: t("export_txt") }),
        el("a", { href: "/api/agent/transcripts/" + id + "?format=json", download: "", text: t("export_json") }),
        el("button", { type: "button", text: t("print"), onclick: function () { window.print(); } })));
      var log = el("ol", { class: "log" });
      r.messages.forEach(function (m) { log.appendChild(messageItem(m)); });
      main.appendChild(el("div", { class: "chat" }, log,
        fieldsBox(t("fields"), { company: r.contact && r.contact.company, email: r.contact && r.contact.email, language: r.language, tickets: r.tickets.join(", "), satisfaction: r.satisfaction })));
    }).catch(failed);
  }

  function renderTickets() {
    view = "tickets";
    page(t("nav_tickets"));
    var results = el("div");
    var run = function (query) {
      api("GET", "/tickets?" + query).then(function (data) {
        results.textContent = "";
        results.appendChild(data.tickets.length ? table([t("number"), t("summary"), t("status"), t("queue"), t("criticality"), ""], data.tickets.map(function (k) {
          return [k.number, k.summary, named("statuses", k.status), named("queues", k.queue), k.criticality ? named("criticalities", k.criticality) : "-", el("a", { href: "#ticket/" + k.number, text: t("open") })];
        })) : el("p", { text: t("none") }));
      }).catch(failed);
    };
    main.appendChild(filterForm([{ name: "status", label: "status", options: STATUSES, kind: "statuses" }, { name: "queue", label: "queue", options: QUEUES, kind: "queues" },
      { name: "criticality", label: "criticality", options: CRITICALITIES, kind: "criticalities" }], run));
    main.appendChild(results);
    run("");
  }

  function renderTicket(number) {
    view = "ticket";
    api("GET", "/tickets/" + number).then(function (k) {
      page(k.number + " · " + k.summary);
      var status = el("select", { "aria-label": t("status") });
      STATUSES.forEach(function (s) { status.appendChild(el("option", { value: s, text: named("statuses", s), selected: s === k.status })); });
      var note = el("input", { "aria-label": t("note"), placeholder: t("note") });
      main.appendChild(el("form", { class: "actions", onsubmit: function (e) {
        e.preventDefault();
        api("POST", "/tickets/" + number + "/status", { status: status.value, note: note.value }).then(function () { say(t("created")); renderTicket(number); }).catch(failed);
      } }, status, note, el("button", { type: "submit", class: "primary", text: t("change") })));
      var log = el("ol", { class: "log" });
      (k.transcript || []).forEach(function (m) { log.appendChild(messageItem(m)); });
      main.appendChild(el("div", { class: "chat" }, log, fieldsBox(t("fields"), Object.assign({ status: k.status, queue: k.queue, criticality: k.criticality }, k.fields || {}))));
    }).catch(failed);
  }

  function renderAdmin() {
    view = "admin";
    api("GET", "/agents").then(function (data) {
      page(t("agents"));
      main.appendChild(table([t("name"), t("email"), t("queues"), t("role"), t("status"), t("actions")], data.agents.map(function (a) {
        return [a.name, a.email, a.queues.map(function (q) { return named("queues", q); }).join(", "), t("role_" + a.role), a.disabled ? t("disabled") : t(a.presence), agentActions(a)];
      })));
      var inputs = { name: el("input", { required: true }), email: el("input", { type: "email", required: true }), password: el("input", { type: "password", required: true, minlength: "8", autocomplete: "new-password" }) };
      var queues = el("select", { multiple: true }), role = el("select", {});
      ["agent", "supervisor", "admin"].forEach(function (r) { role.appendChild(el("option", { value: r, text: t("role_" + r) })); });
      QUEUES.forEach(function (q) { queues.appendChild(el("option", { value: q, text: named("queues", q) })); });
      main.appendChild(el("h2", { text: t("create") }));
      main.appendChild(el("form", { class: "filters", onsubmit: function (e) {
        e.preventDefault();
        api("POST", "/agents", { name: inputs.name.value, email: inputs.email.value, password: inputs.password.value, role: role.value,
          queues: Array.prototype.map.call(queues.selectedOptions, function (o) { return o.value; }) })
          .then(function () { say(t("created")); renderAdmin(); }).catch(failed);
      } }, el("label", {}, t("name"), inputs.name), el("label", {}, t("email"), inputs.email), el("label", {}, t("password"), inputs.password),
        el("label", {}, t("queues"), queues), el("label", {}, t("role"), role), el("button", { type: "submit", class: "primary", text: t("create") })));
    }).catch(failed);
  }

  // An administrator disables or enables an analyst, or gives them a new password (their sessions end).
  function agentActions(a) {
    var box = el("div", { class: "actions" });
    if (a.id !== me.id) {
      box.appendChild(el("button", { type: "button", text: t(a.disabled ? "enable" : "disable"), onclick: function () {
        if (!a.disabled && !window.confirm(t("confirm_disable"))) return;
        api("POST", "/agents/" + a.id + (a.disabled ? "/enable" : "/disable")).then(function () { say(t("created")); renderAdmin(); }).catch(failed);
      } }));
    }
    var password = el("input", { type: "password", minlength: "8", required: true, autocomplete: "new-password", "aria-label": t("reset_password") + " · " + a.name });
    box.appendChild(el("form", { onsubmit: function (e) {
      e.preventDefault();
      api("POST", "/agents/" + a.id + "/password", { password: password.value }).then(function () { say(t("created")); renderAdmin(); }).catch(failed);
    } }, password, el("button", { type: "submit", text: t("reset_password") })));
    return box;
  }

  // Everyone changes their own password (the current one first); their other sessions end.
  function renderPassword() {
    view = "password";
    page(t("change_password"));
    var current = el("input", { type: "password", required: true, autocomplete: "current-password" });
    var fresh = el("input", { type: "password", required: true, minlength: "8", autocomplete: "new-password" });
    main.appendChild(el("form", { class: "filters", onsubmit: function (e) {
      e.preventDefault();
      api("POST", "/password", { current_password: current.value, new_password: fresh.value }).then(function () {
        current.value = ""; fresh.value = ""; say(t("password_changed"));
      }).catch(function (e) { say(e.code === "bad_credentials" ? t("bad_credentials") : e.code === "throttled" ? t("throttled") : t("error") + e.message); });
    } }, el("label", {}, t("current_password"), current), el("label", {}, t("new_password"), fresh),
      el("button", { type: "submit", class: "primary", text: t("change_password") })));
  }

  function route() {
    if (!me) return;
    var parts = location.hash.slice(1).split("/");
    var name = parts[0] || "queue", arg = decodeURIComponent(parts.slice(1).join("/"));
    if (name === "chat" && arg) renderChat(arg);
    else if (name === "transcripts") renderTranscripts();
    else if (name === "transcript" && arg) renderTranscript(arg);
    else if (name === "tickets") renderTickets();
    else if (name === "ticket" && arg) renderTicket(arg);
    else if (name === "admin" && me.role === "admin") renderAdmin();
    else if (name === "reports" && canReport() && window.CarolinaReports) { view = "reports"; window.CarolinaReports(toolkit); }
    else if (name === "password") renderPassword();
    else renderQueue();
    main.focus();
  }
  window.addEventListener("hashchange", route);

  document.querySelector(".presence").addEventListener("click", function () {
    api("PUT", "/presence", { presence: me.presence === "online" ? "offline" : "online" }).then(function (data) { me = data.agent; presenceButton(); }).catch(failed);
  });
  document.querySelector(".language").addEventListener("change", function (e) {
    lang = e.target.value; localStorage.setItem("carolina.console.lang", lang); translate(); route();
  });
  document.querySelector(".logout").addEventListener("click", function () {
    api("POST", "/logout").then(function () { showLogin(); }).catch(failed);
  });

  // What the reports view (console-reports.js, loaded after this file) uses of the console.
  var toolkit = {
    T: T, t: t, el: el, named: named, page: page, table: table, say: say, failed: failed, request: request,
    lang: function () { return lang; }, vocabulary: function () { return VOCABULARY; }, queues: function () { return QUEUES; },
    showing: function (name) { return view === name; }
  };

  translate();
  fetch("/api/vocabulary", { headers: { "Accept": "application/json" } }).then(function (r) { return r.json(); }).then(function (v) {
    VOCABULARY = v; QUEUES = Object.keys(v.queues); STATUSES = Object.keys(v.statuses); CRITICALITIES = Object.keys(v.criticalities);
  }).catch(function () {}).then(function () {
    api("GET", "/me").then(function (data) { me = data.agent; csrf = data.csrf_token; started(); }).catch(function () { showLogin(); });
  });
})();
