/* Carolina's agent console: one page over the documented agent API (/api/agent/...)
 * and its socket.io namespace /agent (through the official socket.io client, which
 * console.html loads from /static/vendor/socket.io/, as the widget does). No build
 * step, no framework. Every piece of customer text goes into the page as text
 * (textContent), never as HTML.
 */
(function () {
  "use strict";
  var T = {
    pt: { skip: "Ir para o conteúdo", nav_queue: "Fila", nav_transcripts: "Conversas", nav_tickets: "Chamados", nav_admin: "Analistas", nav_reports: "Relatórios", role_agent: "analista", role_supervisor: "supervisor", role_admin: "administrador", language: "Idioma", logout: "Sair", online: "Online", offline: "Offline", login: "Entrar", email: "E-mail", password: "Senha", bad_credentials: "E-mail ou senha incorretos.", throttled: "Muitas tentativas: espere alguns segundos e tente de novo.", nav_password: "Senha", current_password: "Senha atual", new_password: "Nova senha", change_password: "Trocar a senha", password_changed: "Senha trocada; suas outras sessões foram encerradas.", disabled: "Desativado", active: "Ativo", disable: "Desativar", enable: "Reativar", reset_password: "Nova senha", actions: "Ações", confirm_disable: "Desativar este analista? As sessões dele terminam e as conversas voltam à fila.", session_ended: "Sua sessão terminou; entre de novo.", waiting: "Aguardando", mine: "Minhas conversas", none: "Nada por aqui.", customer: "Cliente", company: "Empresa", queue: "Fila", reason: "Motivo", criticality: "Criticidade", waited: "Espera", accept: "Atender", open: "Abrir", send: "Enviar", canned: "Respostas prontas", transfer: "Transferir", close: "Encerrar", release: "Devolver à Carolina", make_ticket: "Virar chamado", fields: "Dados coletados", message: "Mensagem", new_message: "nova mensagem", search: "Buscar", number: "Nº do chamado", contact: "Contato", words: "Palavras", since: "De", until: "Até", any: "Todos", started: "Início", tickets: "Chamados", export_txt: "Exportar texto", export_json: "Exportar JSON", print: "Imprimir", status: "Status", note: "Nota", change: "Alterar", summary: "Resumo", agents: "Analistas", name: "Nome", queues: "Filas", role: "Papel", create: "Criar", created: "Feito.", taken: "Outro analista já atendeu.", error: "Não deu certo: ", min: "min", transcript: "Conversa", ticket_made: "Chamado aberto: ", typing: "O cliente está digitando…" },
    es: { skip: "Ir al contenido", nav_queue: "Fila", nav_transcripts: "Conversaciones", nav_tickets: "Solicitudes", nav_admin: "Analistas", nav_reports: "Informes", role_agent: "analista", role_supervisor: "supervisor", role_admin: "administrador", language: "Idioma", logout: "Salir", online: "En línea", offline: "Desconectado", login: "Entrar", email: "E-mail", password: "Contraseña", bad_credentials: "E-mail o contraseña incorrectos.", throttled: "Demasiados intentos: espere unos segundos y vuelva a intentarlo.", nav_password: "Contraseña", current_password: "Contraseña actual", new_password: "Contraseña nueva", change_password: "Cambiar la contraseña", password_changed: "Contraseña cambiada; sus otras sesiones se cerraron.", disabled: "Desactivado", active: "Activo", disable: "Desactivar", enable: "Reactivar", reset_password: "Contraseña nueva", actions: "Acciones", confirm_disable: "¿Desactivar a este analista? Sus sesiones terminan y sus conversaciones vuelven a la fila.", session_ended: "Su sesión terminó; vuelva a entrar.", waiting: "En espera", mine: "Mis conversaciones", none: "Nada por aquí.", customer: "Cliente", company: "Empresa", queue: "Fila", reason: "Motivo", criticality: "Criticidad", waited: "Espera", accept: "Atender", open: "Abrir", send: "Enviar", canned: "Respuestas rápidas", transfer: "Transferir", close: "Cerrar", release: "Devolver a Carolina", make_ticket: "Convertir en solicitud", fields: "Datos recogidos", message: "Mensaje", new_message: "mensaje nuevo", search: "Buscar", number: "Nº de solicitud", contact: "Contacto", words: "Palabras", since: "Desde", until: "Hasta", any: "Todos", started: "Inicio", tickets: "Solicitudes", export_txt: "Exportar texto", export_json: "Exportar JSON", print: "Imprimir", status: "Estado", note: "Nota", change: "Cambiar", summary: "Resumen", agents: "Analistas", name: "Nombre", queues: "Filas", role: "Rol", create: "Crear", created: "Hecho.", taken: "Otro analista ya atendió.", error: "No funcionó: ", min: "min", transcript: "Conversación", ticket_made: "Solicitud abierta: ", typing: "El cliente está escribiendo…" },
    en: { skip: "Skip to content", nav_queue: "Queue", nav_transcripts: "Transcripts", nav_tickets: "Tickets", nav_admin: "Analysts", nav_reports: "Reports", role_agent: "analyst", role_supervisor: "supervisor", role_admin: "administrator", language: "Language", logout: "Log out", online: "Online", offline: "Offline", login: "Log in", email: "E-mail", password: "Password", bad_credentials: "Wrong e-mail or password.", throttled: "Too many attempts: wait a few seconds and try again.", nav_password: "Password", current_password: "Current password", new_password: "New password", change_password: "Change password", password_changed: "Password changed; your other sessions were ended.", disabled: "Disabled", active: "Active", disable: "Disable", enable: "Enable", reset_password: "New password", actions: "Actions", confirm_disable: "Disable this analyst? Their sessions end and their chats go back to the queue.", session_ended: "Your session ended; log in again.", waiting: "Waiting", mine: "My chats", none: "Nothing here.", customer: "Customer", company: "Company", queue: "Queue", reason: "Reason", criticality: "Criticality", waited: "Waiting", accept: "Accept", open: "Open", send: "Send", canned: "Canned replies", transfer: "Transfer", close: "Close", release: "Give back to Carolina", make_ticket: "Turn into a ticket", fields: "Gathered details", message: "Message", new_message: "new message", search: "Search", number: "Ticket number", contact: "Contact", words: "Words", since: "From", until: "To", any: "Any", started: "Started", tickets: "Tickets", export_txt: "Export text", export_json: "Export JSON", print: "Print", status: "Status", note: "Note", change: "Change", summary: "Summary", agents: "Analysts", name: "Name", queues: "Queues", role: "Role", create: "Create", created: "Done.", taken: "Another analyst took it.", error: "That didn't work: ", min: "min", transcript: "Transcript", ticket_made: "Ticket opened: ", typing: "The customer is typing…" }
  };
  // The workspace's words (the rail, the link's state, alerts, the chat's actions), merged into T.
  var WORKSPACE_WORDS = {
    pt: { reconnecting: "Sem conexão com o servidor: reconectando… Nada pode ser enviado até voltar.", taken_back: "A conversa com {name} voltou para a fila enquanto você estava sem conexão.",
      customer_left: "{name} saiu; a conversa terminou.", new_chat: "Nova conversa na fila: {name} ({queue})", new_line: "{name} escreveu", n_unread: "{n} não lidas",
      customer_wrote: "cliente:", shortcuts: "Alt+↑/↓ ou Alt+1…9: trocar de conversa · Alt+Q: fila", alerts_off: "Ativar avisos", alerts_on: "Avisos ativos",
      no_alerts: "O navegador não permitiu avisos.", dismiss: "Fechar", last_line: "Última mensagem", peek: "Espiar", peek_title: "Conversa (só leitura)", hide: "Ocultar",
      confirm: "Confirmar", cancel: "Cancelar", confirm_close: "Encerrar a conversa? O cliente recebe a pesquisa de satisfação.",
      confirm_release: "Devolver a conversa à Carolina? O cliente volta a falar com ela.", confirm_ticket: "Abrir um chamado com esta conversa? A conversa termina.",
      transfer_to: "Transferir para", transfer_note: "Nota para o próximo analista", queue_open: "aberta", queue_closed: "fechada", n_online: "{n} online", n_waiting: "{n} aguardando",
      no_open_queue: "Nenhuma outra fila aberta agora.", closed_done: "Conversa encerrada.", released_done: "Conversa devolvida à Carolina.", transferred_done: "Conversa transferida para {queue}.",
      read_only: "Esta conversa não está com você: só leitura.", new_below: "Novas mensagens ↓", chat_with: "Conversa com {name}", since_queued: "na fila há", since_customer: "desde a última do cliente", note_from: "Nota de {name}:" },
    es: { reconnecting: "Sin conexión con el servidor: reconectando… No se puede enviar nada hasta que vuelva.", taken_back: "La conversación con {name} volvió a la fila mientras estaba sin conexión.",
      customer_left: "{name} se fue; la conversación terminó.", new_chat: "Nueva conversación en la fila: {name} ({queue})", new_line: "{name} escribió", n_unread: "{n} sin leer",
      customer_wrote: "cliente:", shortcuts: "Alt+↑/↓ o Alt+1…9: cambiar de conversación · Alt+Q: fila", alerts_off: "Activar avisos", alerts_on: "Avisos activos",
      no_alerts: "El navegador no permitió avisos.", dismiss: "Cerrar", last_line: "Último mensaje", peek: "Ver", peek_title: "Conversación (solo lectura)", hide: "Ocultar",
      confirm: "Confirmar", cancel: "Cancelar", confirm_close: "¿Cerrar la conversación? El cliente recibe la encuesta de satisfacción.",
      confirm_release: "¿Devolver la conversación a Carolina? El cliente vuelve a hablar con ella.", confirm_ticket: "¿Abrir una solicitud con esta conversación? La conversación termina.",
      transfer_to: "Transferir a", transfer_note: "Nota para el próximo analista", queue_open: "abierta", queue_closed: "cerrada", n_online: "{n} en línea", n_waiting: "{n} en espera",
      no_open_queue: "Ninguna otra fila abierta ahora.", closed_done: "Conversación cerrada.", released_done: "Conversación devuelta a Carolina.", transferred_done: "Conversación transferida a {queue}.",
      read_only: "Esta conversación no está con usted: solo lectura.", new_below: "Mensajes nuevos ↓", chat_with: "Conversación con {name}", since_queued: "en la fila hace", since_customer: "desde el último del cliente", note_from: "Nota de {name}:" },
    en: { reconnecting: "No connection to the server: reconnecting… Nothing can be sent until it is back.", taken_back: "The chat with {name} went back to the queue while you were disconnected.",
      customer_left: "{name} left; the chat ended.", new_chat: "New chat in the queue: {name} ({queue})", new_line: "{name} wrote", n_unread: "{n} unread",
      customer_wrote: "customer:", shortcuts: "Alt+↑/↓ or Alt+1…9: switch chats · Alt+Q: queue", alerts_off: "Turn on alerts", alerts_on: "Alerts on",
      no_alerts: "The browser did not allow alerts.", dismiss: "Dismiss", last_line: "Last message", peek: "Peek", peek_title: "Chat (read only)", hide: "Hide",
      confirm: "Confirm", cancel: "Cancel", confirm_close: "Close the chat? The customer gets the satisfaction survey.",
      confirm_release: "Give the chat back to Carolina? The customer talks to her again.", confirm_ticket: "Open a ticket with this chat? The chat ends.",
      transfer_to: "Transfer to", transfer_note: "Note for the next analyst", queue_open: "open", queue_closed: "closed", n_online: "{n} online", n_waiting: "{n} waiting",
      no_open_queue: "No other queue is open now.", closed_done: "Chat closed.", released_done: "Chat given back to Carolina.", transferred_done: "Chat transferred to {queue}.",
      read_only: "This chat is not yours: read only.", new_below: "New messages ↓", chat_with: "Chat with {name}", since_queued: "queued for", since_customer: "since the customer's last line", note_from: "Note from {name}:" }
  };
  Object.keys(WORKSPACE_WORDS).forEach(function (l) { Object.assign(T[l], WORKSPACE_WORDS[l]); });
  // Queues, statuses, criticalities and the incident fields' labels come from the hub
  // (GET /api/vocabulary, common/vocabulary.yml), loaded before anything is drawn.
  var VOCABULARY = { queues: {}, statuses: {}, criticalities: {}, fields: [] };
  var QUEUES = [], STATUSES = [], CRITICALITIES = [];
  var lang = localStorage.getItem("carolina.console.lang") || (navigator.language || "pt").slice(0, 2);
  if (!T[lang]) lang = "pt";
  var me = null, csrf = null, socket = null, view = null;
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
  // A value as the analyst reads it: the vocabulary's label for what it names (a category, a
  // choice, a level, a criticality, a queue, a status, "unknown"), a language's name; free text as it is.
  var LANGUAGE_NAMES = {
    pt: { pt: "Português", es: "Espanhol", en: "Inglês" },
    es: { pt: "Portugués", es: "Español", en: "Inglés" },
    en: { pt: "Portuguese", es: "Spanish", en: "English" }
  };
  var VALUE_KINDS = { category: "categories", criticality: "criticalities", queue: "queues", status: "statuses" };
  function fieldValue(value, key) {
    if (value === true) return FIELD_LABELS[lang].yes;
    if (value === false) return FIELD_LABELS[lang].no;
    value = String(value);
    if (key === "language" && LANGUAGE_NAMES[lang][value]) return LANGUAGE_NAMES[lang][value];
    var kind = VALUE_KINDS[key];
    if (kind && VOCABULARY[kind] && VOCABULARY[kind][value]) return named(kind, value);
    var field = VOCABULARY.fields.filter(function (f) { return f.name === key; })[0];
    var labelled = (field && (field.kind === "choice" || field.kind === "yesno")) || key === "impact" || key === "urgency" || value === VOCABULARY.unknown;
    if (labelled && VOCABULARY.values && VOCABULARY.values[value]) return VOCABULARY.values[value][lang];
    return value;
  }
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
    alertsButton();
    if (me) { presenceButton(); drawWorkspace(); }
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
  // A failure in the analyst's language, by the hub's error code (problemText), never the hub's English text.
  function failed(e) { if (e.message !== "unauthorized") say(problemText(e)); }

  // ---- socket.io /agent ------------------------------------------------------
  // The link's state shows: while the socket is down a banner says so and nothing can be
  // sent; when it is back, who I am, my presence, my chats and the open view are read
  // again (the hub is the record: what the customer said meanwhile is there), and a chat
  // the hub gave back to the queue meanwhile is named.
  var linked = false, linkedOnce = false;
  function connect() {
    if (socket) return;
    socket = io("/agent", {
      // WebSocket first; a refused or stalled one makes the next attempts start with
      // long-polling, which moves up to a WebSocket whenever one gets through (as the widget).
      transports: ["websocket", "polling"],
      reconnectionDelay: 500,
      reconnectionDelayMax: 4000
    });
    socket.on("connect", function () { setLinked(true); });
    socket.on("connect_error", function () {
      setLinked(false);
      socket.io.opts.transports = ["polling", "websocket"];
      // Refused by the hub itself (not a network failure, which the client retries):
      if (!socket.active) rejoin();
    });
    socket.on("disconnect", function (reason) {
      if (!me) return;
      setLinked(false);
      if (reason === "io server disconnect") rejoin();
    });
    socket.onAny(onEvent);
  }
  // The hub ended or refused this console's namespace (logout elsewhere, password changed,
  // disabled, expired): still signed in, join again; otherwise the login form.
  function rejoin() {
    var current = socket;
    api("GET", "/me").then(function () { if (socket === current) current.connect(); })
      .catch(function () { showLogin(t("session_ended")); });
  }
  function emit(name, data) { if (socket && socket.connected) socket.emit(name, data); }
  function setLinked(up) {
    var back = up && !linked && linkedOnce;
    linked = up;
    linkedOnce = linkedOnce || up;
    var banner = document.querySelector(".banner");
    banner.hidden = up;
    banner.textContent = up ? "" : t("reconnecting");
    document.body.classList.toggle("unlinked", !up);
    document.querySelectorAll("[data-needs-link]").forEach(function (b) { b.disabled = !up; });
    if (back) resync();
  }
  // Back after a drop: read everything again, and say which chats are no longer mine.
  function resync() {
    var held = workspace.mine.slice();
    api("GET", "/me").then(function (data) {
      me = data.agent; csrf = data.csrf_token; presenceButton();
      return refreshWorkspace();
    }).then(function () {
      held.filter(function (h) { return !workspace.mine.some(function (m) { return m.id === h.id; }); })
        .forEach(function (h) { notice(tf("taken_back", { name: customerName(h) })); });
      // The views the socket feeds are drawn again; the others (a ticket's reply box) keep what is typed.
      if (view === "queue" || (view && view.handoff)) route();
    }).catch(failed);
  }
  function onEvent(name, data) {
    if (name === "handoff_queued" || name === "handoff_taken" || name === "queue_changed" || name === "handoff_ended") {
      if (name === "handoff_queued") alertAnalyst(tf("new_chat", { name: customerName(data), queue: named("queues", data.queue) }), "#queue");
      if (name === "handoff_ended") {
        var ended = workspace.mine.filter(function (h) { return h.id === data.id; })[0];
        if (ended) notice(tf("customer_left", { name: customerName(ended) }));
      }
      refreshSoon();
    } else if (name === "message") {
      var chat = workspace.mine.filter(function (h) { return h.conversation_id === data.conversation_id; })[0];
      var line = { id: data.metadata.seq, sender: data.metadata.from, text: data.metadata.title || data.text, at: serverNow() };
      var lines = heard[data.conversation_id] = heard[data.conversation_id] || {};
      lines.last_line = line;
      if (line.sender === "customer") lines.customer_line = line;
      if (chat) withHeard(chat);
      var shown = view && view.conversation === data.conversation_id;
      if (shown) showLive(data);
      if (data.metadata.from === "customer" && chat) {
        if (!shown || !document.hasFocus()) unread[chat.id] = (unread[chat.id] || 0) + 1;
        alertAnalyst(tf("new_line", { name: customerName(chat) }) + ": " + line.text, "#chat/" + chat.id);
      }
      drawWorkspace();
    } else if (name === "typing" && view && view.conversation === data.conversation_id) {
      view.typing.textContent = t("typing");
      clearTimeout(view.typingTimer);
      view.typingTimer = setTimeout(function () { view.typing.textContent = ""; }, 3000);
    }
  }

  // ---- the workspace: the queue's count, my chats in the rail, the tab's title, alerts ----
  var workspace = { queued: [], mine: [], skew: 0 };
  var unread = {};  // handoff id -> customer lines not yet seen
  // conversation id -> the last lines the socket brought: a list read just before them is older.
  var heard = {};
  function newer(a, b) { return a && (!b || (a.id || 0) > (b.id || 0)) ? a : b; }
  function withHeard(h) {
    var lines = heard[h.conversation_id];
    if (!lines) return;
    h.last_line = newer(lines.last_line, h.last_line);
    h.customer_line = newer(lines.customer_line, h.customer_line);
  }
  var refreshing = null;
  function customerName(h) { return (h && h.customer && h.customer.name) || t("customer"); }
  // The hub's clock, as the browser's plus the difference the last list showed.
  function serverNow() { return new Date(Date.now() + workspace.skew).toISOString(); }
  function refreshWorkspace() {
    return api("GET", "/handoffs").then(function (data) {
      data.mine.forEach(withHeard);
      workspace.queued = data.queued; workspace.mine = data.mine;
      workspace.skew = Date.parse(data.now) - Date.now();
      Object.keys(unread).forEach(function (id) { if (!data.mine.some(function (h) { return String(h.id) === id; })) delete unread[id]; });
      drawWorkspace();
      return data;
    });
  }
  // Several events come at once (queued, then the queue changed): one read for them all.
  function refreshSoon() {
    clearTimeout(refreshing);
    refreshing = setTimeout(function () {
      refreshWorkspace().then(function () { if (view === "queue") renderQueue(); }).catch(function () {});
    }, 150);
  }
  function elapsed(iso) {
    var s = Math.max(0, Math.round((Date.now() + workspace.skew - Date.parse(/(Z|[+-]\d\d:?\d\d)$/i.test(iso) ? iso : iso + "Z")) / 1000));
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " " + t("min");
    return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " " + t("min");
  }
  // Every wait and "since" on screen ticks.
  setInterval(function () {
    document.querySelectorAll("[data-since]").forEach(function (n) { n.textContent = elapsed(n.getAttribute("data-since")); });
  }, 1000);
  function since(iso, label) { return iso ? el("time", { datetime: iso, "data-since": iso, title: label || null, text: elapsed(iso) }) : null; }
  function drawWorkspace() {
    var count = workspace.queued.length;
    document.querySelector(".queue-count").textContent = "(" + count + ")";
    var waiting = Object.keys(unread).reduce(function (n, id) { return n + unread[id]; }, 0);
    document.title = (count + waiting ? "(" + (count + waiting) + ") " : "") + "Carolina · Console";
    var rail = document.querySelector(".rail");
    rail.textContent = "";
    rail.setAttribute("aria-label", t("mine"));
    rail.appendChild(el("a", { href: "#queue", class: "rail-queue" + (view === "queue" ? " current" : "") }, t("nav_queue") + " ", el("span", { class: "count", text: String(count) })));
    rail.appendChild(el("h2", { text: t("mine") + " (" + workspace.mine.length + ")" }));
    var list = el("ol", { class: "rail-chats" });
    workspace.mine.forEach(function (h, i) {
      var current = view && view.handoff === h.id;
      var line = h.last_line;
      list.appendChild(el("li", {}, el("a", { href: "#chat/" + h.id, class: current ? "current" : null, "aria-current": current ? "page" : null,
        title: i < 9 ? "Alt+" + (i + 1) : null },
        el("span", { class: "rail-name", text: customerName(h) }),
        unread[h.id] ? el("span", { class: "unread", "aria-label": tf("n_unread", { n: unread[h.id] }), text: String(unread[h.id]) }) : null,
        line ? el("span", { class: "rail-line", text: line.text }) : null,
        h.customer_line ? el("span", { class: "rail-since" }, t("customer_wrote") + " ", since(h.customer_line.at, t("since_customer"))) : null)));
    });
    if (!workspace.mine.length) list.appendChild(el("li", { class: "empty", text: t("none") }));
    rail.appendChild(list);
    rail.appendChild(el("p", { class: "keys", text: t("shortcuts") }));
  }
  // Alt+↑/↓ the previous or next of my chats, Alt+1..9 one of them, Alt+Q the queue.
  document.addEventListener("keydown", function (e) {
    if (!me || !e.altKey || e.ctrlKey || e.metaKey) return;
    var ids = workspace.mine.map(function (h) { return h.id; });
    var at = view && view.handoff ? ids.indexOf(view.handoff) : -1;
    var go = null;
    if (e.key === "ArrowDown" && ids.length) go = ids[(at + 1) % ids.length];
    else if (e.key === "ArrowUp" && ids.length) go = ids[(at - 1 + ids.length) % ids.length];
    else if (/^[1-9]$/.test(e.key) && ids[Number(e.key) - 1]) go = ids[Number(e.key) - 1];
    else if (e.key === "q" || e.key === "Q") { e.preventDefault(); location.hash = "#queue"; return; }
    if (go !== null) { e.preventDefault(); location.hash = "#chat/" + go; }
  });

  // A new chat in my queues or a customer's line in one of my chats: a beep, the count in
  // the title (drawWorkspace), and, if the analyst asked for them, a browser notification
  // while the console is not in front.
  var audio = null;
  function sound() {
    try { audio = audio || new (window.AudioContext || window.webkitAudioContext)(); } catch (e) { /* no sound available */ }
    return audio;
  }
  // Browsers let a page make sound only after the person did something on it: the first
  // click or key (logging in) readies it, so the first alert is heard.
  ["pointerdown", "keydown"].forEach(function (kind) {
    document.addEventListener(kind, function () { if (sound() && audio.state === "suspended") audio.resume(); }, true);
  });
  function beep() {
    try {
      audio = sound();
      var osc = audio.createOscillator();
      osc.connect(audio.destination); osc.frequency.value = 880; osc.start(); osc.stop(audio.currentTime + 0.15);
    } catch (e) { /* no sound available */ }
  }
  function alerting() { return localStorage.getItem("carolina.console.alerts") === "on" && window.Notification && Notification.permission === "granted"; }
  function alertAnalyst(text, hash) {
    beep();
    if (alerting() && (document.hidden || !document.hasFocus())) {
      var shown = new Notification("Carolina", { body: text, tag: hash });
      shown.onclick = function () { window.focus(); location.hash = hash; shown.close(); };
    }
  }
  function alertsButton() {
    var b = document.querySelector(".alerts");
    b.textContent = t(alerting() ? "alerts_on" : "alerts_off");
    b.setAttribute("aria-pressed", alerting() ? "true" : "false");
  }
  document.querySelector(".alerts").addEventListener("click", function () {
    if (alerting()) { localStorage.setItem("carolina.console.alerts", "off"); alertsButton(); return; }
    if (!window.Notification) { say(t("no_alerts")); return; }
    Promise.resolve(Notification.requestPermission()).then(function () {
      localStorage.setItem("carolina.console.alerts", "on");
      if (Notification.permission !== "granted") say(t("no_alerts"));
      alertsButton();
    });
  });
  // A notice stays until the analyst dismisses it (a toast would go unread).
  function notice(text) {
    var box = document.querySelector(".notices");
    var item = el("p", { class: "notice", role: "alert" }, el("span", { text: text }),
      el("button", { type: "button", class: "link", text: t("dismiss"), onclick: function () { item.remove(); } }));
    box.appendChild(item);
  }

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
    if (socket) { socket.off(); socket.offAny(); socket.disconnect(); socket = null; }
    // Nothing of the last analyst stays on the page: the bar, their name, their chats, the notices.
    document.querySelector(".top").hidden = true;
    document.querySelector(".me").textContent = "";
    document.querySelector(".rail").hidden = true;
    document.querySelector(".rail").textContent = "";
    document.querySelector(".banner").hidden = true;
    document.querySelector(".notices").textContent = "";
    linked = false; linkedOnce = false; workspace.queued = []; workspace.mine = []; unread = {}; heard = {}; drafts = {};
    document.title = "Carolina · Console";
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
    document.querySelector(".rail").hidden = false;
    translate();
    connect();
    refreshWorkspace().catch(failed);
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
  function table(headers, rows) {
    return el("table", {}, el("thead", {}, el("tr", {}, headers.map(function (h) { return el("th", { scope: "col", text: h }); }).reduce(function (f, n) { f.appendChild(n); return f; }, document.createDocumentFragment()))),
      rows.reduce(function (body, cells) {
        var tr = el("tr");
        cells.forEach(function (c) { tr.appendChild(el("td", {}, c)); });
        body.appendChild(tr); return body;
      }, el("tbody")));
  }

  // The queue: the most critical first, then who has waited longest; each wait ticks, the
  // customer's last line shows, and the chat can be read before it is taken.
  function criticalityRank(h) { return h.criticality ? CRITICALITIES.indexOf(h.criticality) : -1; }
  function byUrgency(a, b) { return criticalityRank(b) - criticalityRank(a) || Date.parse(a.queued_since) - Date.parse(b.queued_since) || a.id - b.id; }
  function acceptHandoff(h) {
    api("POST", "/handoffs/" + h.id + "/accept").then(function () { location.hash = "#chat/" + h.id; refreshWorkspace().catch(function () {}); })
      .catch(function (e) { say(e.code === "taken" ? t("taken") : t("error") + e.message); renderQueue(); });
  }
  function peek(h, cell, button) {
    if (cell.parentNode.hidden === false) { cell.parentNode.hidden = true; cell.textContent = ""; button.textContent = t("peek"); button.setAttribute("aria-expanded", "false"); return; }
    api("GET", "/handoffs/" + h.id).then(function (full) {
      var log = el("ol", { class: "log peek-log", "aria-label": t("peek_title") });
      full.transcript.forEach(function (m) { log.appendChild(messageItem(m)); });
      cell.textContent = "";
      cell.appendChild(el("h3", { text: t("peek_title") }));
      cell.appendChild(log);
      cell.parentNode.hidden = false;
      button.textContent = t("hide"); button.setAttribute("aria-expanded", "true");
      log.scrollTop = log.scrollHeight;
    }).catch(failed);
  }
  // The customers in line do not reach the analysts' socket (only a held chat's do): while
  // the queue is on screen, their last lines are read again every 15 s, in place (an open
  // peek stays open); a different set of rows is drawn anew.
  setInterval(function () {
    if (view !== "queue" || document.hidden || !me) return;
    var shown = Array.prototype.map.call(document.querySelectorAll("tr.waiting-row"), function (r) { return r.getAttribute("data-handoff"); });
    refreshWorkspace().then(function (data) {
      if (view !== "queue") return;
      var now = data.queued.map(function (h) { return String(h.id); });
      if (now.slice().sort().join() !== shown.slice().sort().join()) { renderQueue(); return; }
      data.queued.forEach(function (h) {
        var cell = document.querySelector("tr.waiting-row[data-handoff='" + h.id + "'] .line");
        if (cell) cell.textContent = h.customer_line ? h.customer_line.text : "-";
      });
    }).catch(function () {});
  }, 15000);
  function renderQueue() {
    view = "queue";
    return refreshWorkspace().then(function (data) {
      if (view !== "queue") return;
      page(t("nav_queue"));
      var queued = data.queued.slice().sort(byUrgency);
      main.appendChild(el("h2", { text: t("waiting") + " (" + queued.length + ")" }));
      if (!queued.length) main.appendChild(el("p", { text: t("none") }));
      else {
        var head = el("tr");
        [t("customer"), t("queue"), t("reason"), t("criticality"), t("waited"), t("last_line"), ""].forEach(function (c) { head.appendChild(el("th", { scope: "col", text: c })); });
        var body = el("tbody");
        queued.forEach(function (h) {
          var cell = el("td", { colspan: "7" });
          var peekRow = el("tr", { class: "peek", hidden: true }, cell);
          var look = el("button", { type: "button", "aria-expanded": "false", text: t("peek"), onclick: function () { peek(h, cell, look); } });
          body.appendChild(el("tr", { class: "waiting-row", "data-handoff": h.id },
            el("td", {}, el("strong", { text: customerName(h) }), el("span", { class: "company", text: (h.customer && h.customer.company) || "-" })),
            el("td", { text: named("queues", h.queue) }),
            el("td", { class: "reason" }, h.reason || "-", transferNote(h)),
            el("td", {}, h.criticality ? el("span", { class: "crit " + h.criticality, text: named("criticalities", h.criticality) }) : "-"),
            el("td", { class: "num" }, since(h.queued_since, t("since_queued"))),
            el("td", { class: "line", text: h.customer_line ? h.customer_line.text : "-" }),
            el("td", { class: "row-actions" }, look, el("button", { type: "button", class: "primary", text: t("accept"), onclick: function () { acceptHandoff(h); } }))));
          body.appendChild(peekRow);
        });
        main.appendChild(el("div", { class: "scroll" }, el("table", { class: "queue" }, el("thead", {}, head), body)));
      }
      main.appendChild(el("h2", { text: t("mine") }));
      main.appendChild(data.mine.length ? table([t("customer"), t("queue"), t("reason"), t("last_line"), ""], data.mine.map(function (h) {
        return [customerName(h), named("queues", h.queue), h.reason || "-", h.last_line ? h.last_line.text : "-", el("a", { href: "#chat/" + h.id, text: t("open") })];
      })) : el("p", { text: t("none") }));
    }).catch(failed);
  }

  // A message of a chat (live, transcript, a ticket's opening). A file someone sent
  // (payload.attachment, bot/web/attachments_api.py) is a download link in place of its
  // name: the session's cookie authorises the GET.
  // A button the customer clicked reads as its title (the hub stores it next to the command it
  // sent, which is never shown) with the field it answered instead of an intent; a typed line
  // shows what NLU understood, marked when below Carolina's fallback threshold; each line has
  // its time in the analyst's time zone.
  function messageItem(m) {
    var who = (m.payload && m.payload.agent_name) || { customer: t("customer"), bot: "Carolina", agent: "", system: "" }[m.sender] || "";
    var file = m.payload && m.payload.attachment;
    var files = file && file.id ? fileLinks([file]) : null;
    var text = m.title || m.text || "";
    if (m.sender === "customer" && /^\/\w+(\{.*\})?$/.test(text)) text = "";  // a command without its title
    var answered = m.answered && Object.keys(m.answered).length ? m.answered : null;
    var understood = answered
      ? el("span", { class: "nlu answered", text: Object.keys(answered).map(function (k) { return fieldLabel(k) + ": " + fieldValue(answered[k], k); }).join(" · ") })
      : m.form_field ? el("span", { class: "nlu answered", text: t("answers_field") + " " + fieldLabel(m.form_field) })
      : m.intent && !m.title ? el("span", { class: "nlu" + (m.low_confidence ? " low" : "") }, m.intent + " · " + Number(m.confidence || 0).toFixed(2),
        m.low_confidence ? el("strong", { text: " · " + t("low_confidence") }) : null) : null;
    return el("li", { class: "msg " + m.sender + (files ? " file" : "") + (m.title ? " clicked" : "") },
      who ? el("span", { class: "who", text: who }) : null,
      m.created_at ? el("time", { datetime: m.created_at, text: when(m.created_at) }) : null,
      files || text, understood);
  }
  function fieldsBox(title, fields) {
    var dl = el("dl");
    Object.keys(fields || {}).forEach(function (k) {
      if (fields[k] === null || fields[k] === "") return;
      dl.appendChild(el("dt", { text: fieldLabel(k) })); dl.appendChild(el("dd", { text: fieldValue(fields[k], k) }));
    });
    return el("aside", { class: "fields", "aria-label": title }, el("h2", { text: title }), dl);
  }

  // A chat: the log (a new line scrolls it only if the analyst is at its end), the composer
  // (off while the link is down; the draft survives switching chats), and the actions, each
  // confirmed first; a ticket made from the chat stays on it as a link.
  var drafts = {};  // handoff id -> what the analyst typed and has not sent
  function nearBottom(log) { return log.scrollHeight - log.scrollTop - log.clientHeight < 48; }
  function showLive(data) {
    var seq = data.metadata.seq;
    if (seq && view.seen[seq]) return;
    if (seq) view.seen[seq] = true;
    var stay = nearBottom(view.log);
    // A customer's file comes as metadata.attachment, an analyst's as the event's attachment (bot/realtime/widget.py).
    view.log.appendChild(messageItem({ id: seq, sender: data.metadata.from, text: data.metadata.title || data.text, title: data.metadata.title, created_at: serverNow(),
      payload: { agent_name: data.metadata.agent_name, attachment: data.metadata.attachment || data.attachment } }));
    if (stay) view.log.scrollTop = view.log.scrollHeight;
    else view.below.hidden = false;
  }
  // After the chat left the analyst (closed, given back, transferred): the next of theirs, or the queue.
  function leaveChat(id) {
    refreshWorkspace().then(function (data) {
      var next = data.mine.filter(function (h) { return h.id !== id; })[0];
      if (location.hash !== "#chat/" + id) return;  // she has gone elsewhere already
      location.hash = next ? "#chat/" + next.id : "#queue";
    }).catch(failed);
  }
  // The transfer menu: the other queues, whether each is open now, who is online there and
  // who waits; a closed one cannot be picked; the first open one with someone online is.
  function transferMenu(h) {
    var choices = el("div", { class: "queue-choices" });
    var note = el("textarea", { id: "transfer-note", maxlength: "1000", rows: "2" });
    var box = el("div", {}, el("fieldset", { class: "transfer-menu" }, el("legend", { text: t("transfer_to") }), choices),
      el("label", { for: "transfer-note", class: "transfer-note-box" }, t("transfer_note"), note));
    api("GET", "/queues").then(function (data) {
      var others = data.queues.filter(function (q) { return q.queue !== h.queue; });
      var best = others.filter(function (q) { return q.open && q.online; })[0] || others.filter(function (q) { return q.open; })[0];
      others.forEach(function (q) {
        var facts = [t(q.open ? "queue_open" : "queue_closed"), tf("n_online", { n: q.online }), tf("n_waiting", { n: q.waiting })].join(" · ");
        choices.appendChild(el("label", { class: "queue-choice" + (q.open ? "" : " closed") },
          el("input", { type: "radio", name: "transfer-queue", value: q.queue, disabled: !q.open, checked: q === best }),
          el("span", {}, el("strong", { text: named("queues", q.queue) }), " — " + facts)));
      });
      if (!best) choices.appendChild(el("p", { class: "error", text: t("no_open_queue") }));
    }).catch(failed);
    return { element: box, note: note, chosen: function () { var c = box.querySelector("input:checked"); return c ? c.value : null; } };
  }
  // What the analyst who transferred the chat left for the next one.
  function transferNote(h) {
    if (!h.transfer_note) return null;
    return el("p", { class: "transfer-note" }, el("strong", { text: tf("note_from", { name: h.transfer_note.by || t("analyst") }) + " " }), h.transfer_note.text);
  }
  function renderChat(id) {
    var number = Number(id);
    api("GET", "/handoffs/" + id).then(function (h) {
      if (location.hash.slice(1) !== "chat/" + id) return;  // the analyst moved on meanwhile
      var live = h.status === "accepted" && h.agent && h.agent.id === me.id;
      var records = window.CarolinaRecords || {};
      page(tf("chat_with", { name: customerName(h) }) + " · " + named("queues", h.queue));
      if (records.languageLabel) main.querySelector("h1").appendChild(records.languageLabel(h, toolkit));
      var log = el("ol", { class: "log", "aria-live": "polite", "aria-label": t("transcript") });
      var seen = {};
      h.transcript.forEach(function (m) { seen[m.id] = true; log.appendChild(messageItem(m)); });
      var typing = el("p", { class: "typing", "aria-live": "polite" });
      var below = el("button", { type: "button", class: "new-below", hidden: true, text: t("new_below"),
        onclick: function () { log.scrollTop = log.scrollHeight; below.hidden = true; } });
      log.addEventListener("scroll", function () { if (nearBottom(log)) below.hidden = true; });
      view = { conversation: h.conversation_id, handoff: number, log: log, typing: typing, seen: seen, below: below };
      unread[number] = 0;
      drawWorkspace();

      var text = el("textarea", { "aria-label": t("message"), maxlength: "4000" });
      text.value = drafts[number] || "";
      var typedAt = 0;
      text.addEventListener("input", function () {
        drafts[number] = text.value;
        if (Date.now() - typedAt > 2000) { typedAt = Date.now(); emit("typing", { conversation_id: h.conversation_id }); }
      });
      var sendButton = el("button", { type: "button", class: "primary", "data-needs-link": true, disabled: !linked, text: t("send"), onclick: function () { send(); } });
      var send = function () {
        var value = text.value.trim();
        if (!value || !linked) return;
        sendButton.disabled = true;
        api("POST", "/handoffs/" + id + "/messages", { text: value }).then(function () { text.value = ""; delete drafts[number]; text.focus(); })
          .catch(failed).then(function () { sendButton.disabled = !linked; });
      };
      text.addEventListener("keydown", function (e) { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); send(); } });
      // The analyst's files go up as soon as they are picked, for this chat's customer; each
      // comes back in the log (the socket) as the analyst's message with its link.
      var picker = el("input", { type: "file", multiple: true, class: "sr", id: "chat-files", tabindex: "-1" });
      var uploads = el("ul", { class: "pending", "aria-live": "polite" });
      var attach = el("button", { type: "button", class: "attach", "data-needs-link": true, disabled: !linked, text: "📎", title: t("attach"), "aria-label": t("attach"), onclick: function () { picker.click(); } });
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
      // A canned reply goes in where the caret is; the draft around it stays.
      var insert = function (reply) {
        var start = text.selectionStart, end = text.selectionEnd, before = text.value.slice(0, start), after = text.value.slice(end);
        var piece = (before && !/\s$/.test(before) ? " " : "") + reply + (after && !/^\s/.test(after) ? " " : "");
        text.value = before + piece + after;
        text.setSelectionRange((before + piece).length, (before + piece).length);
        drafts[number] = text.value;
        text.focus();
      };
      // The replies are the hub's, in the customer's language (console-records.js).
      var canned = live && records.cannedSelect ? records.cannedSelect(h, toolkit, insert) : null;

      // Each action asks first, in a box under the buttons; the transfer's box is its menu.
      var asking = el("div", { class: "confirm", hidden: true });
      var ask = function (question, extra, act) {
        asking.textContent = "";
        var yes = el("button", { type: "button", class: "primary", "data-needs-link": true, disabled: !linked, text: t("confirm"), onclick: function () {
          yes.disabled = true;
          act().then(function () { asking.hidden = true; }).catch(function (e) { yes.disabled = !linked; failed(e); });
        } });
        asking.appendChild(el("p", { text: question }));
        if (extra) asking.appendChild(extra);
        asking.appendChild(el("div", { class: "actions" }, yes, el("button", { type: "button", text: t("cancel"), onclick: function () { asking.hidden = true; asking.textContent = ""; } })));
        asking.hidden = false;
        yes.focus();
      };
      var ended = function (word, values) { return function () { say(tf(word, values || {})); leaveChat(number); }; };
      var actions = [];
      if (live) {
        actions.push(el("button", { type: "button", text: t("transfer"), onclick: function () {
          var menu = transferMenu(h);
          ask(tf("chat_with", { name: customerName(h) }), menu.element, function () {
            var queue = menu.chosen();
            if (!queue) return Promise.reject(new Error(t("no_open_queue")));
            return api("POST", "/handoffs/" + id + "/transfer", { queue: queue, note: menu.note.value }).then(ended("transferred_done", { queue: named("queues", queue) }));
          });
        } }));
        actions.push(el("button", { type: "button", text: t("close"), onclick: function () {
          ask(t("confirm_close"), null, function () { return api("POST", "/handoffs/" + id + "/close").then(ended("closed_done")); });
        } }));
        actions.push(el("button", { type: "button", text: t("release"), onclick: function () {
          ask(t("confirm_release"), null, function () { return api("POST", "/handoffs/" + id + "/release").then(ended("released_done")); });
        } }));
      }
      if (!h.ticket) {
        actions.push(el("button", { type: "button", text: t("make_ticket"), onclick: function () {
          ask(t("confirm_ticket"), null, function () {
            return api("POST", "/handoffs/" + id + "/ticket").then(function () { refreshWorkspace().catch(function () {}); renderChat(id); });
          });
        } }));
      }
      var ticketLink = h.ticket ? el("p", { class: "ticket-link" }, t("ticket_made"), el("a", { href: "#ticket/" + encodeURIComponent(h.ticket), text: h.ticket })) : null;
      var card = records.customerCard ? records.customerCard(h, toolkit) : null;
      main.appendChild(el("div", { class: "chat" },
        el("section", { class: "chat-main" }, ticketLink, live ? null : el("p", { class: "read-only", text: t("read_only") }), transferNote(h), log, below, typing,
          live ? el("div", { class: "composer" }, attach, picker, text, sendButton) : null,
          live ? uploads : null,
          el("div", { class: "chat-actions" }, live ? canned : null, el.apply(null, ["div", { class: "buttons" }].concat(actions))), asking),
        el("div", { class: "chat-side" }, card,
          fieldsBox(t("fields"), Object.assign({ reason: h.reason, criticality: h.criticality, company: h.customer && h.customer.company, email: h.customer && h.customer.email }, h.fields || {})))));
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
      (f.options || []).forEach(function (o) { input.appendChild(el("option", { value: o, text: f.labelOf ? f.labelOf(o) : f.kind ? named(f.kind, o) : o })); });
      inputs[f.name] = input;
      form.appendChild(el("label", {}, t(f.label), input));
    });
    form.appendChild(el("button", { type: "submit", class: "primary", text: t("search") }));
    return form;
  }

  // Transcripts found: the words are looked for without case or accents, and each hit shows
  // the part of the conversation they are in.
  function renderTranscripts() {
    view = "transcripts";
    page(t("nav_transcripts"));
    var results = el("div");
    var run = function (query) {
      api("GET", "/transcripts?" + query).then(function (data) {
        results.textContent = "";
        results.appendChild(data.conversations.length ? table([t("started"), t("customer"), t("company"), t("language"), t("tickets"), t("queues"), t("found"), ""], data.conversations.map(function (c) {
          return [when(c.started_at), (c.contact && c.contact.name) || "-", (c.contact && c.contact.company) || "-", c.language ? fieldValue(c.language, "language") : "-",
            ticketLinks(c.tickets), c.queues.map(function (q) { return named("queues", q); }).join(", ") || "-",
            c.snippet ? el("span", { class: "snippet", text: c.snippet }) : "",
            el("a", { href: "#transcript/" + c.conversation_id, text: t("open") })];
        })) : el("p", { text: t("none") }));
      }).catch(failed);
    };
    main.appendChild(filterForm([
      { name: "number", label: "number" }, { name: "contact", label: "contact" }, { name: "company", label: "company" },
      { name: "q", label: "words" }, { name: "language", label: "language", options: ["pt", "es", "en"], labelOf: function (l) { return fieldValue(l, "language"); } },
      { name: "since", label: "since", type: "date" }, { name: "until", label: "until", type: "date" }], run));
    main.appendChild(results);
    run("");
  }
  // Ticket numbers as links to their view ("-" for none).
  function ticketLinks(numbers) {
    if (!numbers || !numbers.length) return "-";
    var span = el("span", { class: "ticket-links" });
    numbers.forEach(function (n, i) {
      if (i) span.appendChild(document.createTextNode(", "));
      span.appendChild(el("a", { href: "#ticket/" + encodeURIComponent(n), text: n }));
    });
    return span;
  }

  // One transcript: every line with its time, a click as its title; the customer's card beside;
  // the exports carry the analyst's time zone.
  function renderTranscript(id) {
    view = "transcript";
    api("GET", "/transcripts/" + id).then(function (r) {
      page(t("transcript") + " · " + ((r.contact && r.contact.name) || "-"));
      var zone = encodeURIComponent(Intl.DateTimeFormat().resolvedOptions().timeZone || "");
      main.appendChild(el("div", { class: "actions" },
        el("a", { href: "/api/agent/transcripts/" + id + "?format=txt&tz=" + zone, download: "", text: t("export_txt") }),
        el("a", { href: "/api/agent/transcripts/" + id + "?format=json", download: "", text: t("export_json") }),
        el("button", { type: "button", text: t("print"), onclick: function () { window.print(); } })));
      var log = el("ol", { class: "log" });
      r.messages.forEach(function (m) { log.appendChild(messageItem(m)); });
      var records = window.CarolinaRecords || {};
      var side = el("div", { class: "chat-side" },
        records.customerCard ? records.customerCard({ conversation_id: r.conversation_id, language: r.language, customer: r.contact }, toolkit) : null,
        fieldsBox(t("fields"), { company: r.contact && r.contact.company, email: r.contact && r.contact.email, language: r.language, satisfaction: r.satisfaction }));
      side.querySelector(".fields dl").appendChild(el("dt", { text: t("tickets") }));
      side.querySelector(".fields dl").appendChild(el("dd", {}, ticketLinks(r.tickets)));
      main.appendChild(el("div", { class: "chat" }, el("section", { class: "chat-main" }, log), side));
    }).catch(failed);
  }

  // The tickets: a tab per status with its count, filters, most critical then oldest first,
  // a page at a time; each row says who the customer is, how old the ticket is and who worked on it.
  var ticketFilters = { status: "", queue: "", criticality: "", page: 1 };
  function renderTickets() {
    view = "tickets";
    page(t("nav_tickets"));
    var tabs = el("div", { class: "status-tabs", role: "group", "aria-label": t("status") });
    var results = el("div", { class: "ticket-list" });
    var run = function () {
      var query = new URLSearchParams();
      Object.keys(ticketFilters).forEach(function (k) { if (ticketFilters[k]) query.set(k, ticketFilters[k]); });
      return api("GET", "/tickets?" + query.toString()).then(function (data) {
        if (view !== "tickets") return;
        drawTabs(data.counts);
        results.textContent = "";
        if (!data.tickets.length) { results.appendChild(el("p", { text: t("none") })); return; }
        results.appendChild(table([t("number"), t("summary"), t("customer"), t("status"), t("priority"), t("age"), t("assignee"), t("queue")], data.tickets.map(function (k) {
          return [el("a", { href: "#ticket/" + encodeURIComponent(k.number), text: k.number }), k.summary || "-",
            k.customer || k.company || "-", named("statuses", k.status), priorityBadge(k.criticality),
            el("time", { datetime: k.created_at, title: when(k.created_at), text: age(k.created_at) }), k.assignee || "-", named("queues", k.queue)];
        })));
        results.appendChild(el("nav", { class: "pager", "aria-label": t("pages") },
          el("button", { type: "button", text: "‹ " + t("previous"), disabled: data.page <= 1, onclick: function () { ticketFilters.page = data.page - 1; run().catch(failed); } }),
          el("span", { class: "page-of", text: tf("page_of", { page: data.page, pages: data.pages, total: data.total }) }),
          el("button", { type: "button", text: t("next") + " ›", disabled: data.page >= data.pages, onclick: function () { ticketFilters.page = data.page + 1; run().catch(failed); } })));
      });
    };
    var drawTabs = function (counts) {
      tabs.textContent = "";
      var all = Object.keys(counts).reduce(function (n, k) { return n + counts[k]; }, 0);
      [""].concat(STATUSES).forEach(function (s) {
        tabs.appendChild(el("button", { type: "button", class: "tab", "aria-pressed": ticketFilters.status === s ? "true" : "false", "data-status": s,
          text: (s ? named("statuses", s) : t("any")) + " (" + (s ? counts[s] || 0 : all) + ")",
          onclick: function () { ticketFilters.status = s; ticketFilters.page = 1; run().catch(failed); } }));
      });
    };
    var pick = function (name, kind, options) {
      var select = el("select", { name: name, onchange: function () { ticketFilters[name] = select.value; ticketFilters.page = 1; run().catch(failed); } },
        el("option", { value: "", text: t("any") }));
      options.forEach(function (o) { select.appendChild(el("option", { value: o, text: named(kind, o), selected: ticketFilters[name] === o })); });
      return el("label", {}, t(name), select);
    };
    main.appendChild(tabs);
    main.appendChild(el("div", { class: "filters" }, pick("queue", "queues", QUEUES), pick("criticality", "criticalities", CRITICALITIES.slice().reverse())));
    main.appendChild(results);
    run().catch(failed);
  }
  function priorityBadge(level) {
    return level ? el("span", { class: "priority priority-" + level, text: named("criticalities", level) }) : "-";
  }
  // How long ago, in the analyst's language ("há 3 dias", "hace 5 horas", "2 minutes ago").
  function age(iso) {
    var utc = /(Z|[+-]\d\d:?\d\d)$/i.test(iso) ? iso : iso + "Z";
    var minutes = Math.max(0, Math.round((Date.now() - Date.parse(utc)) / 60000));
    var format = new Intl.RelativeTimeFormat(LOCALES[lang], { numeric: "always" });
    if (minutes < 60) return format.format(-minutes, "minute");
    if (minutes < 48 * 60) return format.format(-Math.round(minutes / 60), "hour");
    return format.format(-Math.round(minutes / 1440), "day");
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
      err_invalid: "Algum dado não é válido; confira e tente de novo.", err_empty: "Escreva uma mensagem, anexe um arquivo ou escolha um status.",
      err_too_large: "O arquivo passa do limite de tamanho; arquivos grandes vão pela área de upload do portal.", err_file_type: "Esse tipo de arquivo não é aceito.",
      err_transition: "O chamado não pode ir desse status para o escolhido.", err_closed: "O chamado está fechado.", err_network: "Sem conexão com o servidor." },
    es: { opening: "Conversación de apertura", n_messages: "{n} mensajes", thread: "Seguimiento", no_thread: "Ningún mensaje después de la apertura.", reply: "Responder",
      public_reply: "Respuesta al cliente", internal_note: "Nota interna", public_hint: "el cliente la recibe por e-mail y en el chat", internal_hint: "solo la ven los analistas",
      send_reply: "Enviar respuesta", save_note: "Guardar nota", set_status: "Y cambiar el estado a", keep_status: "— mantener el estado actual —", shortcut: "Ctrl+Enter envía.",
      attach: "Adjuntar archivos", remove: "Quitar", uploading: "Enviando", file_removed: "eliminado", deadline_to: "Si nada cambia, pasa sola a «{status}» el {date}.",
      deadline_on: "Próximo cambio automático el {date}.", survey: "Encuesta", out_of: "{score} de 10", cc: "Copia a", opened_at: "Abierta el", status_change: "Estado: {from} → {to}",
      analyst: "Analista", full_transcript: "Ver la conversación completa", sent: "Respuesta enviada.", noted: "Nota guardada.", status_saved: "Estado cambiado.",
      via_email: "por e-mail", via_widget: "por el chat", via_console: "por la consola", via_api: "por la API", via_link: "por el enlace del e-mail", via_auto: "automático",
      err_invalid: "Algún dato no es válido; revíselo y vuelva a intentarlo.", err_empty: "Escriba un mensaje, adjunte un archivo o elija un estado.",
      err_too_large: "El archivo supera el tamaño máximo; los archivos grandes van por el área de carga del portal.", err_file_type: "Ese tipo de archivo no se acepta.",
      err_transition: "La solicitud no puede pasar de ese estado al elegido.", err_closed: "La solicitud está cerrada.", err_network: "Sin conexión con el servidor." },
    en: { opening: "Opening conversation", n_messages: "{n} messages", thread: "Follow-up", no_thread: "No messages since it was opened.", reply: "Reply",
      public_reply: "Reply to the customer", internal_note: "Internal note", public_hint: "the customer gets it by e-mail and in the chat", internal_hint: "only analysts see it",
      send_reply: "Send reply", save_note: "Save note", set_status: "And set the status to", keep_status: "— keep the current status —", shortcut: "Ctrl+Enter sends.",
      attach: "Attach files", remove: "Remove", uploading: "Uploading", file_removed: "removed", deadline_to: "If nothing changes, it moves to “{status}” by itself on {date}.",
      deadline_on: "Next automatic move on {date}.", survey: "Survey", out_of: "{score} out of 10", cc: "Copied to", opened_at: "Opened", status_change: "Status: {from} → {to}",
      analyst: "Analyst", full_transcript: "See the whole conversation", sent: "Reply sent.", noted: "Note saved.", status_saved: "Status changed.",
      via_email: "by e-mail", via_widget: "in the chat", via_console: "in the console", via_api: "through the API", via_link: "through the e-mail's link", via_auto: "automatic",
      err_invalid: "Something entered is not valid; check it and try again.", err_empty: "Write a message, attach a file or choose a status.",
      err_too_large: "The file is over the size limit; large files go through the portal's upload area.", err_file_type: "That kind of file is not accepted.",
      err_transition: "The ticket cannot go from its status to the one chosen.", err_closed: "The ticket is closed.", err_network: "No connection to the server." }
  };
  Object.keys(TICKET_WORDS).forEach(function (l) { Object.assign(T[l], TICKET_WORDS[l]); });
  // The records' words (transcripts, the ticket list, the customer, errors by their code), merged into T.
  var RECORD_WORDS = {
    pt: { answers_field: "responde:", low_confidence: "pouca certeza", found: "Trecho", priority: "Prioridade", age: "Idade", assignee: "Analista", pages: "Páginas", previous: "Anterior", next: "Próxima",
      page_of: "Página {page} de {pages} · {total} chamados", customer_language: "Idioma do cliente", customer_card: "Cliente", open_tickets: "Chamados abertos",
      recent_conversations: "Conversas recentes", last_score: "Última nota", score_after_chat: "{score} de 10 após um chat, {date}", score_after_ticket: "{score} de 10 após um chamado, {date}",
      anonymous: "Cliente não identificado", err_code: "Não deu certo (erro: {code}).", err_empty_change: "Escolha um novo status ou escreva uma nota.",
      err_forbidden: "Isso não está nas suas filas ou não é permitido para o seu papel.", err_taken: "Outro analista já atendeu.", err_no_ticket: "Esse chamado não existe.",
      err_no_conversation: "Essa conversa não existe.", err_no_handoff: "Essa conversa não está mais na fila.", err_no_agent: "Esse analista não existe.",
      err_exists: "Já existe um analista com esse e-mail.", err_own_role: "Você não pode mudar o seu próprio papel.", err_too_long: "O texto é longo demais.",
      err_csrf: "A sessão expirou nesta aba; recarregue a página.", err_not_yours: "Essa conversa não está com você.", err_same_status: "O chamado já está nesse status.",
      err_not_found: "Não encontrado.", err_unauthorized: "Sua sessão terminou; entre de novo.",
      canned_title: "Respostas prontas", canned_hint: "Uma resposta por linha; o cliente as recebe no idioma dele.", save: "Salvar", edit: "Editar" },
    es: { answers_field: "responde:", low_confidence: "poca certeza", found: "Fragmento", priority: "Prioridad", age: "Antigüedad", assignee: "Analista", pages: "Páginas", previous: "Anterior", next: "Siguiente",
      page_of: "Página {page} de {pages} · {total} solicitudes", customer_language: "Idioma del cliente", customer_card: "Cliente", open_tickets: "Solicitudes abiertas",
      recent_conversations: "Conversaciones recientes", last_score: "Última nota", score_after_chat: "{score} de 10 tras un chat, {date}", score_after_ticket: "{score} de 10 tras una solicitud, {date}",
      anonymous: "Cliente no identificado", err_code: "No funcionó (error: {code}).", err_empty_change: "Elija un estado nuevo o escriba una nota.",
      err_forbidden: "Eso no está en sus filas o no está permitido para su rol.", err_taken: "Otro analista ya atendió.", err_no_ticket: "Esa solicitud no existe.",
      err_no_conversation: "Esa conversación no existe.", err_no_handoff: "Esa conversación ya no está en la fila.", err_no_agent: "Ese analista no existe.",
      err_exists: "Ya existe un analista con ese e-mail.", err_own_role: "No puede cambiar su propio rol.", err_too_long: "El texto es demasiado largo.",
      err_csrf: "La sesión caducó en esta pestaña; recargue la página.", err_not_yours: "Esa conversación no está con usted.", err_same_status: "La solicitud ya está en ese estado.",
      err_not_found: "No encontrado.", err_unauthorized: "Su sesión terminó; vuelva a entrar.",
      canned_title: "Respuestas rápidas", canned_hint: "Una respuesta por línea; el cliente las recibe en su idioma.", save: "Guardar", edit: "Editar" },
    en: { answers_field: "answers:", low_confidence: "low confidence", found: "Excerpt", priority: "Priority", age: "Age", assignee: "Analyst", pages: "Pages", previous: "Previous", next: "Next",
      page_of: "Page {page} of {pages} · {total} tickets", customer_language: "Customer's language", customer_card: "Customer", open_tickets: "Open tickets",
      recent_conversations: "Recent conversations", last_score: "Last score", score_after_chat: "{score} out of 10 after a chat, {date}", score_after_ticket: "{score} out of 10 after a ticket, {date}",
      anonymous: "Customer not identified", err_code: "That didn't work (error: {code}).", err_empty_change: "Choose a new status or write a note.",
      err_forbidden: "That is not in your queues or not allowed for your role.", err_taken: "Another analyst took it.", err_no_ticket: "That ticket does not exist.",
      err_no_conversation: "That conversation does not exist.", err_no_handoff: "That chat is no longer in the queue.", err_no_agent: "That analyst does not exist.",
      err_exists: "An analyst with that e-mail already exists.", err_own_role: "You cannot change your own role.", err_too_long: "The text is too long.",
      err_csrf: "The session expired in this tab; reload the page.", err_not_yours: "That chat is not yours.", err_same_status: "The ticket already has that status.",
      err_not_found: "Not found.", err_unauthorized: "Your session ended; log in again.",
      canned_title: "Canned replies", canned_hint: "One reply per line; customers get them in their language.", save: "Save", edit: "Edit" }
  };
  Object.keys(RECORD_WORDS).forEach(function (l) { Object.assign(T[l], RECORD_WORDS[l]); });
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
  // What went wrong, in the analyst's language: by the hub's error code (an unknown one is named,
  // not explained in the hub's English); an error of the console's own is already in their words.
  function problemText(e) {
    if (e.code && T[lang]["err_" + e.code]) return T[lang]["err_" + e.code];
    if (e.message === "Failed to fetch" || e.code === "network") return t("err_network");
    if (e.code || /^\d+$/.test(e.message)) return tf("err_code", { code: e.code || e.message });
    return e.message;
  }

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
    var who = k.customer || {};
    add(t("customer"), who.name ? who.name + (who.email ? " <" + who.email + ">" : "") : "");
    add(t("company"), who.company || k.company);
    add(t("customer_language"), (who.language || k.language) ? fieldValue(who.language || k.language, "language") : "");
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
        // The customer's card (their other open tickets, recent chats, last score) when the ticket came from a chat.
        if (k.conversation_id && window.CarolinaRecords) {
          aside.appendChild(window.CarolinaRecords.customerCard({ conversation_id: k.conversation_id, language: k.language, customer: k.customer }, toolkit));
        }
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
      if (window.CarolinaRecords) main.appendChild(window.CarolinaRecords.cannedEditor(toolkit));
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
    if (window.CarolinaRecords) box.appendChild(window.CarolinaRecords.agentEditor(a, toolkit, renderAdmin));
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
    view = null;  // until the next view is drawn, no chat's lines go anywhere but the rail
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
  // Back at the console: the open chat's lines are read.
  window.addEventListener("focus", function () { if (view && view.handoff && unread[view.handoff]) { unread[view.handoff] = 0; drawWorkspace(); } });

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
    showing: function (name) { return view === name; },
    // What console-records.js (the customer card, the language label, canned replies) uses too.
    api: api, tf: tf, when: when, fieldValue: fieldValue, problemText: problemText, me: function () { return me; }
  };

  translate();
  fetch("/api/vocabulary", { headers: { "Accept": "application/json" } }).then(function (r) { return r.json(); }).then(function (v) {
    VOCABULARY = v; QUEUES = Object.keys(v.queues); STATUSES = Object.keys(v.statuses); CRITICALITIES = Object.keys(v.criticalities);
  }).catch(function () {}).then(function () {
    api("GET", "/me").then(function (data) { me = data.agent; csrf = data.csrf_token; started(); }).catch(function () { showLogin(); });
  });
})();
