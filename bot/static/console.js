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
    pt: { impact: "Impacto", urgency: "Urgência", email: "E-mail", language: "Idioma", satisfaction: "Satisfação", yes: "sim", no: "não", environment: "Origem" },
    es: { impact: "Impacto", urgency: "Urgencia", email: "E-mail", language: "Idioma", satisfaction: "Satisfacción", yes: "sí", no: "no", environment: "Origen" },
    en: { impact: "Impact", urgency: "Urgency", email: "E-mail", language: "Language", satisfaction: "Satisfaction", yes: "yes", no: "no", environment: "Origin" }
  };
  // (environment: what tickets stored before the guides' names called the origin.)
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
      // A customer's file comes as metadata.attachment, an analyst's as the event's attachment (bot/realtime/widget.py).
      view.log.appendChild(messageItem({ sender: data.metadata.from, text: data.text,
        payload: { agent_name: data.metadata.agent_name, attachment: data.metadata.attachment || data.attachment } }));
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

  // A message of a chat (live, transcript, a ticket's opening). A file someone sent
  // (payload.attachment, bot/web/attachments_api.py) is a download link in place of its
  // name: the session's cookie authorises the GET.
  function messageItem(m) {
    var who = (m.payload && m.payload.agent_name) || { customer: t("customer"), bot: "Carolina", agent: "", system: "" }[m.sender] || "";
    var file = m.payload && m.payload.attachment;
    var files = file && file.id ? fileLinks([file]) : null;
    return el("li", { class: "msg " + m.sender + (files ? " file" : "") }, who ? el("span", { class: "who", text: who }) : null, files || m.text,
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
      // The analyst's files go up as soon as they are picked, for this chat's customer; each
      // comes back in the log (the socket) as the analyst's message with its link.
      var picker = el("input", { type: "file", multiple: true, class: "sr", id: "chat-files", tabindex: "-1" });
      var uploads = el("ul", { class: "pending", "aria-live": "polite" });
      var attach = el("button", { type: "button", class: "attach", text: "📎", title: t("attach"), "aria-label": t("attach"), onclick: function () { picker.click(); } });
      picker.addEventListener("change", function () {
        Array.prototype.forEach.call(picker.files, function (file) {
          var bar = el("progress", { max: "1", value: "0", "aria-label": t("uploading") + " " + file.name });
          var item = el("li", {}, el("span", { text: file.name + " · " + bytes(file.size) }), bar);
          uploads.appendChild(item);
          uploadFile(file, bar, "?handoff_id=" + encodeURIComponent(id)).then(function () { item.remove(); }, function (e) {
            bar.remove();
            if (e.message !== "unauthorized") item.appendChild(el("span", { class: "error", role: "alert", text: " " + problemText(e) }));
          });
        });
        picker.value = "";
        text.focus();
      });
      var canned = el("select", { "aria-label": t("canned"), onchange: function () { if (canned.value) { text.value = canned.value; canned.value = ""; text.focus(); } } },
        el("option", { value: "", text: t("canned") }));
      CANNED[lang].forEach(function (c) { canned.appendChild(el("option", { value: c, text: c })); });
      var target = el("select", { "aria-label": t("queue") });
      QUEUES.forEach(function (q) { if (q !== h.queue) target.appendChild(el("option", { value: q, text: named("queues", q) })); });
      var after = function (promise) { promise.then(function (r) { if (r && r.ticket) say(t("ticket_made") + r.ticket); location.hash = "#queue"; }).catch(failed); };
      var live = h.status === "accepted" && h.agent && h.agent.id === me.id;
      main.appendChild(el("div", { class: "chat" },
        el("section", {}, log, typing,
          live ? el("div", { class: "composer" }, attach, picker, text, el("button", { type: "button", class: "primary", text: t("send"), onclick: send })) : null,
          live ? uploads : null,
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

  // ---- a ticket: its header, the opening conversation, the thread and the reply box ----
  // The ticket view's words, merged into the console's table (T) once.
  var TICKET_WORDS = {
    pt: { opening: "Conversa de abertura", n_messages: "{n} mensagens", thread: "Acompanhamento", no_thread: "Nenhuma mensagem depois da abertura.", reply: "Responder",
      public_reply: "Resposta ao cliente", internal_note: "Nota interna", public_hint: "o cliente recebe por e-mail e no chat", internal_hint: "só os analistas veem",
      send_reply: "Enviar resposta", save_note: "Salvar nota", set_status: "E mudar o status para", keep_status: "— manter o status atual —", shortcut: "Ctrl+Enter envia.",
      attach: "Anexar arquivos", remove: "Remover", uploading: "Enviando", file_removed: "removido", deadline_to: "Se nada mudar, passa sozinho para “{status}” em {date}.",
      deadline_on: "Próxima mudança automática em {date}.", survey: "Pesquisa", out_of: "{score} de 10", cc: "Cópia para", opened_at: "Aberto em", status_change: "Status: {from} → {to}",
      analyst: "Analista", full_transcript: "Ver a conversa completa", sent: "Resposta enviada.", noted: "Nota salva.", status_saved: "Status alterado.",
      via_email: "por e-mail", via_widget: "pelo chat", via_console: "pelo console", via_api: "pela API", via_link: "pelo link do e-mail", via_auto: "automático",
      err_invalid: "Escreva uma mensagem, anexe um arquivo ou escolha um status.", err_empty: "Escreva uma mensagem, anexe um arquivo ou escolha um status.",
      err_too_large: "O arquivo passa do limite de tamanho; arquivos grandes vão pela área de upload do portal.", err_file_type: "Esse tipo de arquivo não é aceito.",
      err_transition: "O chamado não pode ir desse status para o escolhido.", err_closed: "O chamado está fechado.", err_network: "Sem conexão com o servidor." },
    es: { opening: "Conversación de apertura", n_messages: "{n} mensajes", thread: "Seguimiento", no_thread: "Ningún mensaje después de la apertura.", reply: "Responder",
      public_reply: "Respuesta al cliente", internal_note: "Nota interna", public_hint: "el cliente la recibe por e-mail y en el chat", internal_hint: "solo la ven los analistas",
      send_reply: "Enviar respuesta", save_note: "Guardar nota", set_status: "Y cambiar el estado a", keep_status: "— mantener el estado actual —", shortcut: "Ctrl+Enter envía.",
      attach: "Adjuntar archivos", remove: "Quitar", uploading: "Enviando", file_removed: "eliminado", deadline_to: "Si nada cambia, pasa sola a «{status}» el {date}.",
      deadline_on: "Próximo cambio automático el {date}.", survey: "Encuesta", out_of: "{score} de 10", cc: "Copia a", opened_at: "Abierta el", status_change: "Estado: {from} → {to}",
      analyst: "Analista", full_transcript: "Ver la conversación completa", sent: "Respuesta enviada.", noted: "Nota guardada.", status_saved: "Estado cambiado.",
      via_email: "por e-mail", via_widget: "por el chat", via_console: "por la consola", via_api: "por la API", via_link: "por el enlace del e-mail", via_auto: "automático",
      err_invalid: "Escriba un mensaje, adjunte un archivo o elija un estado.", err_empty: "Escriba un mensaje, adjunte un archivo o elija un estado.",
      err_too_large: "El archivo supera el tamaño máximo; los archivos grandes van por el área de carga del portal.", err_file_type: "Ese tipo de archivo no se acepta.",
      err_transition: "La solicitud no puede pasar de ese estado al elegido.", err_closed: "La solicitud está cerrada.", err_network: "Sin conexión con el servidor." },
    en: { opening: "Opening conversation", n_messages: "{n} messages", thread: "Follow-up", no_thread: "No messages since it was opened.", reply: "Reply",
      public_reply: "Reply to the customer", internal_note: "Internal note", public_hint: "the customer gets it by e-mail and in the chat", internal_hint: "only analysts see it",
      send_reply: "Send reply", save_note: "Save note", set_status: "And set the status to", keep_status: "— keep the current status —", shortcut: "Ctrl+Enter sends.",
      attach: "Attach files", remove: "Remove", uploading: "Uploading", file_removed: "removed", deadline_to: "If nothing changes, it moves to “{status}” by itself on {date}.",
      deadline_on: "Next automatic move on {date}.", survey: "Survey", out_of: "{score} out of 10", cc: "Copied to", opened_at: "Opened", status_change: "Status: {from} → {to}",
      analyst: "Analyst", full_transcript: "See the whole conversation", sent: "Reply sent.", noted: "Note saved.", status_saved: "Status changed.",
      via_email: "by e-mail", via_widget: "in the chat", via_console: "in the console", via_api: "through the API", via_link: "through the e-mail's link", via_auto: "automatic",
      err_invalid: "Write a message, attach a file or choose a status.", err_empty: "Write a message, attach a file or choose a status.",
      err_too_large: "The file is over the size limit; large files go through the portal's upload area.", err_file_type: "That kind of file is not accepted.",
      err_transition: "The ticket cannot go from its status to the one chosen.", err_closed: "The ticket is closed.", err_network: "No connection to the server." }
  };
  Object.keys(TICKET_WORDS).forEach(function (l) { Object.assign(T[l], TICKET_WORDS[l]); });
  var LOCALES = { pt: "pt-BR", es: "es", en: "en" };
  // t() with {name} placeholders filled in.
  function tf(key, values) { return t(key).replace(/\{(\w+)\}/g, function (all, name) { return values[name]; }); }
  // A moment in the analyst's own time zone (the browser's), in their language. The hub's
  // moments are UTC; under SQLite they come without an offset, which a browser would read as local.
  function when(iso) {
    var utc = /(Z|[+-]\d\d:?\d\d)$/i.test(iso) ? iso : iso + "Z";
    return new Date(utc).toLocaleString(LOCALES[lang], { dateStyle: "short", timeStyle: "short" });
  }
  function bytes(n) {
    var units = ["B", "KB", "MB", "GB"], i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
    return n.toLocaleString(LOCALES[lang], { maximumFractionDigits: i ? 1 : 0 }) + " " + units[i];
  }
  // What went wrong, in the analyst's language when the code is known, else the server's words.
  function problemText(e) { return T[lang]["err_" + e.code] || (e.message === "Failed to fetch" ? t("err_network") : t("error") + e.message); }

  function fileLinks(files) {
    if (!files || !files.length) return null;
    var list = el("ul", { class: "files" });
    files.forEach(function (f) {
      list.appendChild(el("li", {}, f.purged
        ? el("span", { class: "purged", text: f.filename + " (" + t("file_removed") + ")" })
        : el("a", { href: "/api/attachments/" + encodeURIComponent(f.id), download: f.filename, text: f.filename + " · " + bytes(f.size) })));
    });
    return list;
  }
  function authorOf(m) {
    if (m.author === "carolina") return "Carolina";
    if (m.author === "customer") return m.author_name || t("customer");
    if (m.author === "agent") return m.author_name || t("analyst");
    return m.author_name || "";
  }
  // One line of the thread: a status change as a line across it; a message with its author,
  // whether the customer sees it, how it came, when, its text and its files.
  function threadItem(m) {
    var time = el("time", { datetime: m.created_at, text: when(m.created_at) });
    var via = m.via && T[lang]["via_" + m.via] ? el("span", { class: "via", text: t("via_" + m.via) }) : null;
    if (m.status_to) {
      var who = authorOf(m);
      return el("li", { class: "thread-status" }, el("p", {}, who ? who + " · " : "",
        tf("status_change", { from: m.status_from ? named("statuses", m.status_from) : "–", to: named("statuses", m.status_to) }), " · ", via, via ? " · " : "", time),
        m.text ? el("p", { class: "text", text: m.text }) : null, fileLinks(m.attachments));
    }
    var internal = m.visibility === "internal";
    var badge = m.author === "agent" ? el("span", { class: "badge", text: t(internal ? "internal_note" : "public_reply") }) : null;
    return el("li", { class: "thread-msg " + m.author + (internal ? " internal" : " public") },
      el("p", { class: "meta" }, el("span", { class: "who", text: authorOf(m) || t("status") }), badge, via, time),
      m.text ? el("p", { class: "text", text: m.text }) : null, fileLinks(m.attachments));
  }

  // The header: status, queue, criticality, company, when it opened, copies, the survey
  // and the next automatic move.
  function ticketHead(k) {
    var facts = el("dl", { class: "facts" });
    var add = function (label, value) { if (value) facts.appendChild(el("div", {}, el("dt", { text: label }), el("dd", {}, value))); };
    add(t("status"), el("span", { class: "status-badge", text: named("statuses", k.status) }));
    add(t("queue"), named("queues", k.queue));
    add(t("criticality"), k.criticality ? named("criticalities", k.criticality) : "");
    add(t("company"), k.company);
    add(t("opened_at"), k.created_at ? when(k.created_at) : "");
    add(t("cc"), (k.cc || []).join(", "));
    if (k.survey && k.survey.score !== null && k.survey.score !== undefined) {
      add(t("survey"), tf("out_of", { score: k.survey.score }) + (k.survey.comment ? " · “" + k.survey.comment + "”" : ""));
    }
    var then = k.deadline_to || ((VOCABULARY.statuses[k.status] || {}).deadline || {}).then;
    var deadline = k.deadline_at ? el("p", { class: "deadline" }, then
      ? tf("deadline_to", { status: named("statuses", then), date: when(k.deadline_at) }) : tf("deadline_on", { date: when(k.deadline_at) })) : null;
    return el("section", { class: "ticket-head", "aria-label": k.number }, facts, deadline,
      k.conversation_id ? el("p", { class: "links" }, el("a", { href: "#transcript/" + k.conversation_id, text: t("full_transcript") })) : null);
  }

  // An analyst's file goes up as soon as it is picked (H3's POST /api/attachments, the
  // session's cookie and CSRF token); XMLHttpRequest for its progress, which fetch lacks.
  function uploadFile(file, bar, query) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", "/api/attachments" + (query || ""));  // ?handoff_id=: a live chat's file
      xhr.setRequestHeader("Accept", "application/json");
      if (csrf) xhr.setRequestHeader("X-CSRF-Token", csrf);
      xhr.upload.onprogress = function (e) { if (e.lengthComputable) { bar.max = e.total; bar.value = e.loaded; } };
      xhr.onload = function () {
        var data = {};
        try { data = JSON.parse(xhr.responseText); } catch (ignored) { /* not JSON: the status says enough */ }
        if (xhr.status === 401) { showLogin(); reject(new Error("unauthorized")); return; }
        if (xhr.status >= 200 && xhr.status < 300) { resolve(data); return; }
        var e = new Error(data.message || data.error || String(xhr.status)); e.code = data.error; reject(e);
      };
      xhr.onerror = function () { var e = new Error("network"); e.code = "network"; reject(e); };
      var form = new FormData();
      form.append("file", file);
      xhr.send(form);
    });
  }

  var shownTicket = null;  // the ticket view on screen (its refresh stops when another view replaces it)
  function renderTicket(number) {
    view = "ticket";
    var mine = shownTicket = { number: number };
    var head = el("div"), opening = el("div"), aside = el("div");
    var thread = el("ol", { class: "thread", "aria-label": t("thread") });
    var current = null;  // the ticket as last read

    // The reply box: public reply or internal note, an optional status, files; the draft
    // survives the thread's refreshes.
    var problem = el("p", { class: "error", role: "alert" });
    var text = el("textarea", { id: "reply-text", maxlength: "4000", rows: "4", "aria-describedby": "reply-hint" });
    var kinds = ["public", "internal"].map(function (kind) {
      return el("input", { type: "radio", name: "visibility", value: kind, checked: kind === "public", onchange: function () { mode(); } });
    });
    var status = el("select", { id: "reply-status" });
    var picker = el("input", { type: "file", multiple: true, id: "reply-files" });
    var pending = el("ul", { class: "pending", "aria-live": "polite" });
    var files = [];  // {promise, id} per picked file
    var sendButton = el("button", { type: "submit", class: "primary" });
    var form = el("form", { class: "reply", "aria-labelledby": "reply-title" },
      el("h2", { id: "reply-title", text: t("reply") }),
      el("fieldset", {}, el("legend", { class: "sr", text: t("reply") }),
        el("label", { class: "kind" }, kinds[0], el("span", {}, el("strong", { text: t("public_reply") }), " — " + t("public_hint"))),
        el("label", { class: "kind" }, kinds[1], el("span", {}, el("strong", { text: t("internal_note") }), " — " + t("internal_hint")))),
      el("label", { for: "reply-text", text: t("message") }), text,
      el("p", { id: "reply-hint", class: "hint", text: t("shortcut") }),
      el("div", { class: "reply-row" },
        el("label", { for: "reply-status" }, t("set_status"), status),
        el("label", { for: "reply-files" }, t("attach"), picker),
        sendButton),
      pending, problem);
    var visibility = function () { return kinds[1].checked ? "internal" : "public"; };
    var mode = function () {
      problem.textContent = "";
      form.classList.toggle("internal", visibility() === "internal");
      sendButton.textContent = t(visibility() === "internal" ? "save_note" : "send_reply");
    };
    mode();
    picker.addEventListener("change", function () {
      Array.prototype.forEach.call(picker.files, function (file) {
        var bar = el("progress", { max: "1", value: "0", "aria-label": t("uploading") + " " + file.name });
        var item = el("li", {}, el("span", { text: file.name + " · " + bytes(file.size) }), bar);
        var entry = { id: null };
        var drop = function () { files.splice(files.indexOf(entry), 1); item.remove(); };
        entry.promise = uploadFile(file, bar).then(function (stored) {
          entry.id = stored.id;
          bar.remove();
          item.appendChild(el("button", { type: "button", class: "link", text: t("remove"), "aria-label": t("remove") + " " + file.name, onclick: drop }));
        }, function (e) { drop(); if (e.message !== "unauthorized") problem.textContent = file.name + ": " + problemText(e); });
        files.push(entry);
        pending.appendChild(item);
      });
      picker.value = "";
    });
    var busy = false;
    var submit = function () {
      if (busy) return;
      busy = true; sendButton.disabled = true; problem.textContent = "";
      var internal = visibility() === "internal";
      Promise.all(files.map(function (f) { return f.promise.catch(function () {}); })).then(function () {
        var ids = files.map(function (f) { return f.id; }).filter(Boolean);
        var value = text.value.trim();
        // Only a status to change: the status route (a message needs a text or a file, the API says).
        if (!value && !ids.length && status.value) {
          return api("POST", "/tickets/" + number + "/status", { status: status.value, note: "" }).then(function () { return "status_saved"; });
        }
        var body = { text: value, visibility: visibility() };
        if (status.value) body.status = status.value;
        if (ids.length) body.attachments = ids;
        return api("POST", "/tickets/" + number + "/messages", body).then(function () { return internal ? "noted" : "sent"; });
      }).then(function (done) {
        text.value = ""; status.value = ""; files = []; pending.textContent = "";
        say(t(done));
        return load();
      }).catch(function (e) { if (e.message !== "unauthorized") problem.textContent = problemText(e); })
        .then(function () { busy = false; sendButton.disabled = false; text.focus(); });
    };
    form.addEventListener("submit", function (e) { e.preventDefault(); submit(); });
    text.addEventListener("keydown", function (e) { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); submit(); } });
    text.addEventListener("input", function () { problem.textContent = ""; });

    var draw = function (k) {
      var first = current === null;
      head.textContent = ""; head.appendChild(ticketHead(k));
      thread.textContent = "";
      (k.thread || []).forEach(function (m) { thread.appendChild(threadItem(m)); });
      if (!thread.childNodes.length) thread.appendChild(el("li", { class: "empty", text: t("no_thread") }));
      if (first || current.status !== k.status) {
        var chosen = status.value;
        status.textContent = "";
        status.appendChild(el("option", { value: "", text: t("keep_status") }));
        ((VOCABULARY.statuses[k.status] || {}).next || []).forEach(function (s) {
          status.appendChild(el("option", { value: s, text: named("statuses", s), selected: s === chosen }));
        });
        status.disabled = status.options.length < 2;
      }
      if (first) {
        var log = el("ol", { class: "log" });
        (k.transcript || []).forEach(function (m) { log.appendChild(messageItem(m)); });
        opening.appendChild(el("details", { class: "opening" },
          el("summary", {}, t("opening") + " (" + tf("n_messages", { n: (k.transcript || []).length }) + ")"), log));
        aside.appendChild(fieldsBox(t("fields"), k.fields || {}));
      }
      current = k;
    };
    // Read the ticket again (after a send, and every 20 s while it is on screen: a customer's
    // e-mail or an automatic move shows up without a reload).
    var load = function () {
      return api("GET", "/tickets/" + number).then(function (k) { if (shownTicket === mine) draw(k); return k; });
    };
    var refresh = function () {
      setTimeout(function () {
        if (shownTicket !== mine || view !== "ticket") return;
        (document.hidden ? Promise.resolve() : load()).catch(function () {}).then(refresh);
      }, 20000);
    };
    load().then(function (k) {
      if (shownTicket !== mine) return;
      page(k.number + " · " + k.summary);
      main.appendChild(head);
      main.appendChild(el("div", { class: "ticket" },
        el("div", { class: "ticket-main" }, opening, el("h2", { text: t("thread") }), thread, form), aside));
      refresh();
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
