/* Carolina's chat widget. Embed with one tag:
 *   <script src="https://HUB/static/widget.js" data-token="<portal-signed JWT, optional>" async></script>
 * Language comes from <html lang>, the session survives reloads (localStorage:
 * the hub's resume token, never the conversation id, which it gives apart in
 * `session_info` and the widget shows as data-conversation on its root),
 * messages carry an id so a resend after a reconnect is answered once, and after
 * a reconnect the widget asks the hub for what it missed. When someone logs in
 * on a page that had an anonymous conversation, the hub asks (`resume_offer`)
 * whether to carry it on: two buttons, answered with `resume_answer`. No framework: it
 * speaks the socket.io v5 / engine.io v4 wire protocol over a plain WebSocket.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var hub = new URL(script.src).origin;
  var token = script.getAttribute("data-token") || null;
  var lang = (document.documentElement.lang || navigator.language || "pt").slice(0, 2).toLowerCase();
  if (["pt", "es", "en"].indexOf(lang) < 0) lang = "pt";
  var T = {
    pt: { title: "Carolina · Suporte", open: "Abrir o chat com a Carolina", close: "Fechar o chat", placeholder: "Escreva sua mensagem…", send: "Enviar", typing: "Carolina está digitando…", log: "Conversa com a Carolina", offline: "Reconectando…", position: "Você é o {n}º da fila", agentTyping: "{name} está digitando…" },
    es: { title: "Carolina · Soporte", open: "Abrir el chat con Carolina", close: "Cerrar el chat", placeholder: "Escribe tu mensaje…", send: "Enviar", typing: "Carolina está escribiendo…", log: "Conversación con Carolina", offline: "Reconectando…", position: "Eres el {n}º en la fila", agentTyping: "{name} está escribiendo…" },
    en: { title: "Carolina · Support", open: "Open the chat with Carolina", close: "Close the chat", placeholder: "Type your message…", send: "Send", typing: "Carolina is typing…", log: "Conversation with Carolina", offline: "Reconnecting…", position: "You are number {n} in the queue", agentTyping: "{name} is typing…" }
  }[lang];
  var KEY = "carolina.session";
  var sessionId = localStorage.getItem(KEY);
  var lastId = 0;
  var pending = {}; // message_id -> text, until the hub confirms it stored it
  var ws = null, connected = false, retry = 0, typingTimer = null, typedAt = 0;

  // ---- DOM -----------------------------------------------------------------
  var css = document.createElement("link");
  css.rel = "stylesheet"; css.href = hub + "/static/widget.css";
  document.head.appendChild(css);
  var root = document.createElement("div");
  root.className = "carolina";
  root.innerHTML =
    '<button type="button" class="carolina-launcher" aria-expanded="false"></button>' +
    '<section class="carolina-panel" role="dialog" hidden>' +
    '<header><h2></h2><button type="button" class="carolina-close">×</button></header>' +
    '<ol class="carolina-log" role="log" aria-live="polite"></ol>' +
    '<p class="carolina-status" aria-live="polite"></p>' +
    '<form class="carolina-form"><label class="carolina-sr" for="carolina-input"></label>' +
    '<textarea id="carolina-input" rows="1" maxlength="4000"></textarea>' +
    '<button type="submit"></button></form></section>';
  document.body.appendChild(root);
  var launcher = root.querySelector(".carolina-launcher");
  var panel = root.querySelector(".carolina-panel");
  var log = root.querySelector(".carolina-log");
  var statusLine = root.querySelector(".carolina-status");
  var form = root.querySelector("form");
  var input = root.querySelector("textarea");
  launcher.textContent = "💬"; launcher.setAttribute("aria-label", T.open);
  panel.setAttribute("aria-label", T.title);
  root.querySelector("h2").textContent = T.title;
  root.querySelector(".carolina-close").setAttribute("aria-label", T.close);
  log.setAttribute("aria-label", T.log);
  root.querySelector("label").textContent = T.placeholder;
  input.placeholder = T.placeholder;
  form.querySelector("button").textContent = T.send;

  function toggle(open) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    if (open) input.focus(); else launcher.focus();
  }
  launcher.addEventListener("click", function () { toggle(panel.hidden); });
  root.querySelector(".carolina-close").addEventListener("click", function () { toggle(false); });
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") toggle(false); });

  // Text is escaped first; only then are **bold** and [links](http...) formatted.
  function render(text) {
    var safe = String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
    return safe
      .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
      .replace(/\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g, '<a href="$2" target="_blank" rel="noopener noreferrer">$1</a>')
      .replace(/\n/g, "<br>");
  }

  function show(item) {
    var meta = item.metadata || {};
    if (meta.seq && meta.seq <= lastId) return; // already shown (resync after reconnect)
    if (meta.seq) lastId = meta.seq;
    var li = document.createElement("li");
    li.className = "carolina-msg carolina-" + (meta.from || "bot");
    li.innerHTML = render(item.text || "");
    if (meta.agent_name) li.setAttribute("data-agent", meta.agent_name);
    log.appendChild(li);
    if (item.quick_replies && item.quick_replies.length) {
      var group = document.createElement("li");
      group.className = "carolina-replies";
      item.quick_replies.forEach(function (b) {
        var button = document.createElement("button");
        button.type = "button"; button.textContent = b.title;
        button.addEventListener("click", function () { group.remove(); send(b.payload, b.title); });
        group.appendChild(button);
      });
      log.appendChild(group);
    }
    log.scrollTop = log.scrollHeight;
  }

  function typing(on) { statusLine.textContent = on ? T.typing : ""; }

  // "Carry on the conversation from before you logged in?": yes moves the
  // widget to it (the hub confirms its token), no stays in the fresh one.
  function offer(data) {
    var question = document.createElement("li");
    question.className = "carolina-msg carolina-system carolina-offer";
    question.innerHTML = render(data.text || "");
    var group = document.createElement("li");
    group.className = "carolina-replies carolina-offer";
    (data.buttons || []).forEach(function (b) {
      var button = document.createElement("button");
      button.type = "button"; button.textContent = b.title;
      button.addEventListener("click", function () {
        question.remove(); group.remove();
        emit("resume_answer", { accept: b.payload === "yes" });
      });
      group.appendChild(button);
    });
    log.appendChild(question); log.appendChild(group);
    log.scrollTop = log.scrollHeight;
  }

  // ---- socket.io over WebSocket ------------------------------------------
  function emit(event, data) { if (ws && connected) ws.send("42" + JSON.stringify([event, data])); }

  function connect() {
    ws = new WebSocket(hub.replace(/^http/, "ws") + "/socket.io/?EIO=4&transport=websocket");
    ws.onmessage = function (m) {
      var d = m.data;
      if (d === "2") { ws.send("3"); return; }          // engine.io ping -> pong
      if (d[0] === "0") { ws.send("40"); return; }      // engine.io open -> socket.io connect
      if (d.slice(0, 2) === "40") {                      // connected to the namespace
        connected = true; retry = 0; statusLine.textContent = "";
        emit("session_request", { session_id: sessionId, token: token, language: lang });
        return;
      }
      if (d.slice(0, 2) !== "42") return;
      var packet = JSON.parse(d.slice(2)), event = packet[0], data = packet[1];
      if (event === "session_confirm") {
        var fresh = sessionId !== data;
        sessionId = data; localStorage.setItem(KEY, data);
        if (fresh) { log.innerHTML = ""; lastId = 0; }
        emit("sync", { after: lastId });
      } else if (event === "session_info") {
        root.setAttribute("data-conversation", data.conversation_id || "");
      } else if (event === "resume_offer") {
        offer(data);
      } else if (event === "history") {
        data.forEach(function (item) { delete pending[(item.metadata || {}).client_message_id]; show(item); });
        Object.keys(pending).forEach(function (id) { emit("user_uttered", { message: pending[id], message_id: id, session_id: sessionId, customData: { language: lang } }); });
      } else if (event === "user_stored") {
        delete pending[(data.metadata || {}).client_message_id];
        show(data);
        // An analyst answers when they answer; only Carolina gets a typing indicator.
        if ((data.metadata || {}).to !== "analyst") typing(true);
      } else if (event === "bot_uttered") {
        typing(false); show(data);
      } else if (event === "agent_typing") {
        statusLine.textContent = T.agentTyping.replace("{name}", data.name || "");
        clearTimeout(typingTimer);
        typingTimer = setTimeout(function () { statusLine.textContent = ""; }, 3000);
      } else if (event === "queue_position") {
        statusLine.textContent = T.position.replace("{n}", data.position);
      }
    };
    ws.onclose = function () {
      connected = false; statusLine.textContent = T.offline;
      setTimeout(connect, Math.min(10000, 500 * Math.pow(2, retry++)));
    };
  }

  function newId() {
    return (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
  }

  function send(text, label) {
    var id = newId();
    pending[id] = text;
    emit("user_uttered", { message: text, message_id: id, session_id: sessionId, customData: { language: lang } });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    send(text);
    input.value = "";
  });
  // An analyst holding the chat sees "typing…" (at most one event every 2 s).
  input.addEventListener("input", function () {
    if (Date.now() - typedAt > 2000) { typedAt = Date.now(); emit("typing", {}); }
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
  });
  connect();
})();
