/* Carolina's chat widget. Embed with one tag:
 *   <script src="https://HUB/static/widget.js" data-token="<portal-signed JWT, optional>" async></script>
 * Language comes from <html lang>, the session survives reloads (localStorage:
 * the hub's resume token, never the conversation id, which it gives apart in
 * `session_info` and the widget shows as data-conversation on its root),
 * messages carry an id so a resend after a reconnect is answered once, and after
 * a reconnect the widget asks the hub for what it missed. When someone logs in
 * on a page that had an anonymous conversation, the hub asks (`resume_offer`)
 * whether to carry it on: two buttons, answered with `resume_answer`. No framework: it
 * talks to the hub through the official socket.io client, which it loads from the hub
 * (/static/vendor/socket.io/, a <script> of its own that leaves the page's `io` alone),
 * WebSocket first and long-polling where a proxy blocks WebSockets; the client
 * reconnects by itself, and each connection asks for the session again.
 * Files (the paperclip, dropped on the panel, or an image pasted into the box) go
 * over HTTP to /api/attachments with the conversation's upload token from
 * `session_info`; the hub judges them and shows them back as the customer's message.
 * An analyst's file comes as a message with a download link (bot/domain/attachments.py).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var hub = new URL(script.src).origin;
  var token = script.getAttribute("data-token") || null;
  var lang = (document.documentElement.lang || navigator.language || "pt").slice(0, 2).toLowerCase();
  if (["pt", "es", "en"].indexOf(lang) < 0) lang = "pt";
  var T = {
    pt: { title: "Carolina · Suporte", open: "Abrir o chat com a Carolina", close: "Fechar o chat", placeholder: "Escreva sua mensagem…", send: "Enviar", typing: "Carolina está digitando…", log: "Conversa com a Carolina", offline: "Reconectando…", position: "Você é o {n}º da fila", agentTyping: "{name} está digitando…", attach: "Anexar um arquivo", sending: "Enviando {name}… {p}%", failed: "Não consegui enviar {name}. Verifique a conexão e tente de novo.", drop: "Solte o arquivo para enviar", gone: "Não consegui baixar {name}: o arquivo pode ter sido apagado. Peça de novo no chat." },
    es: { title: "Carolina · Soporte", open: "Abrir el chat con Carolina", close: "Cerrar el chat", placeholder: "Escribe tu mensaje…", send: "Enviar", typing: "Carolina está escribiendo…", log: "Conversación con Carolina", offline: "Reconectando…", position: "Eres el {n}º en la fila", agentTyping: "{name} está escribiendo…", attach: "Adjuntar un archivo", sending: "Enviando {name}… {p}%", failed: "No pude enviar {name}. Revisa la conexión e inténtalo de nuevo.", drop: "Suelta el archivo para enviarlo", gone: "No pude descargar {name}: puede que el archivo se haya eliminado. Pídelo de nuevo en el chat." },
    en: { title: "Carolina · Support", open: "Open the chat with Carolina", close: "Close the chat", placeholder: "Type your message…", send: "Send", typing: "Carolina is typing…", log: "Conversation with Carolina", offline: "Reconnecting…", position: "You are number {n} in the queue", agentTyping: "{name} is typing…", attach: "Attach a file", sending: "Sending {name}… {p}%", failed: "I couldn't send {name}. Check your connection and try again.", drop: "Drop the file to send it", gone: "I couldn't download {name}: the file may have been removed. Ask for it again in the chat." }
  }[lang];
  var KEY = "carolina.session";
  var sessionId = localStorage.getItem(KEY);
  var lastId = 0;
  var pending = {}; // message_id -> {text, title}, until the hub confirms it stored it
  var socket = null, confirmed = false, typingTimer = null, typedAt = 0;
  var upload = null; // {conversation, token, max, tooLarge} from session_info

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
    '<button type="button" class="carolina-attach">📎</button>' +
    '<input type="file" class="carolina-file-input" hidden tabindex="-1">' +
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
  form.querySelector("button[type=submit]").textContent = T.send;
  var attachButton = root.querySelector(".carolina-attach");
  var fileInput = root.querySelector(".carolina-file-input");
  attachButton.setAttribute("aria-label", T.attach); attachButton.title = T.attach;

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
    // A clicked button reads as its title (metadata.title), not as the command it sent.
    li.innerHTML = render(meta.title || item.text || "");
    if (meta.attachment && meta.attachment.url && meta.from !== "customer") fileLink(li, meta.attachment);
    else if (meta.attachment) fileLine(li, meta.attachment);
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

  // A file the customer sent: its name (as text, never markup) and size.
  function fileLine(li, file) {
    li.classList.add("carolina-file");
    li.textContent = "📎 " + (file.filename || "") + " (" + sizeOf(file.size || 0) + ")";
  }

  // A file the analyst (or Carolina) sent: a download link, name and size as text. The hub's
  // link carries a short-lived `?t=`; once that has passed (the history after a reload), the
  // conversation's upload token fetches it instead, and the browser saves what came.
  function fileLink(li, file) {
    li.classList.add("carolina-file");
    var a = document.createElement("a");
    a.href = new URL(file.url, hub).href;
    a.setAttribute("download", file.filename || "");
    a.rel = "noopener noreferrer";
    a.textContent = "📎 " + (file.filename || "") + " (" + sizeOf(file.size || 0) + ")";
    a.addEventListener("click", function (e) {
      var until = parseInt((new URL(a.href).searchParams.get("t") || "").split(".")[0], 10);
      if (!upload || !file.id || !(until * 1000 < Date.now())) return;
      e.preventDefault();
      fetch(hub + "/api/attachments/" + encodeURIComponent(file.id) + "?conversation_id=" + encodeURIComponent(upload.conversation), { headers: { "X-Carolina-Upload": upload.token } })
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.blob(); })
        .then(function (blob) {
          var saved = document.createElement("a");
          saved.href = URL.createObjectURL(blob); saved.download = file.filename || "file";
          document.body.appendChild(saved); saved.click(); saved.remove();
          setTimeout(function () { URL.revokeObjectURL(saved.href); }, 10000);
        })
        .catch(function () { notice(T.gone.replace("{name}", file.filename || "")); });
    });
    li.textContent = "";
    li.appendChild(a);
  }

  function sizeOf(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return Math.round(bytes / 1024) + " KB";
    return (bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, "") + " MB";
  }

  // A refusal or failure about a file, said in the log where the customer looks.
  function notice(text) {
    var li = document.createElement("li");
    li.className = "carolina-msg carolina-system carolina-error";
    li.setAttribute("role", "alert");
    li.textContent = text;
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
  }

  // ---- files ---------------------------------------------------------------
  function sendFile(file) {
    if (!upload) { statusLine.textContent = T.offline; return; }
    var name = file.name || "screenshot.png";
    if (file.size > upload.max) {
      notice(upload.tooLarge.replace("{name}", name).replace("{size}", sizeOf(file.size)));
      return;
    }
    var body = new FormData();
    body.append("file", file, name);
    // XMLHttpRequest, not fetch: it reports the upload's progress.
    var xhr = new XMLHttpRequest();
    xhr.open("POST", hub + "/api/attachments?conversation_id=" + encodeURIComponent(upload.conversation) + "&lang=" + lang);
    xhr.setRequestHeader("X-Carolina-Upload", upload.token);
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) statusLine.textContent = T.sending.replace("{name}", name).replace("{p}", Math.floor(100 * e.loaded / e.total));
    };
    xhr.onload = function () {
      statusLine.textContent = "";
      if (xhr.status === 201) return; // the hub shows it back (user_stored)
      var answer = null;
      try { answer = JSON.parse(xhr.responseText); } catch (ignored) { answer = null; }
      notice((answer && answer.message) || T.failed.replace("{name}", name));
    };
    xhr.onerror = function () { statusLine.textContent = ""; notice(T.failed.replace("{name}", name)); };
    statusLine.textContent = T.sending.replace("{name}", name).replace("{p}", 0);
    xhr.send(body);
  }

  function sendFiles(files) { for (var i = 0; i < files.length; i++) sendFile(files[i]); }

  attachButton.addEventListener("click", function () { fileInput.click(); });
  fileInput.addEventListener("change", function () { sendFiles(fileInput.files); fileInput.value = ""; input.focus(); });
  // Dragged onto the panel; the highlight says it will be taken.
  panel.addEventListener("dragover", function (e) {
    if (e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types, "Files") >= 0) {
      e.preventDefault(); panel.classList.add("carolina-dropping"); statusLine.textContent = T.drop;
    }
  });
  panel.addEventListener("dragleave", function (e) {
    if (!panel.contains(e.relatedTarget)) { panel.classList.remove("carolina-dropping"); statusLine.textContent = ""; }
  });
  panel.addEventListener("drop", function (e) {
    panel.classList.remove("carolina-dropping"); statusLine.textContent = "";
    if (e.dataTransfer && e.dataTransfer.files.length) { e.preventDefault(); sendFiles(e.dataTransfer.files); }
  });
  // A screenshot pasted into the message box is sent as a file; pasted text stays text.
  input.addEventListener("paste", function (e) {
    var items = (e.clipboardData && e.clipboardData.items) || [], files = [];
    for (var i = 0; i < items.length; i++) if (items[i].kind === "file") { var f = items[i].getAsFile(); if (f) files.push(f); }
    if (files.length) { e.preventDefault(); sendFiles(files); }
  });

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

  // ---- socket.io -------------------------------------------------------------
  // The portal's page is not ours. The client comes in a <script> of its own, and
  // whatever `io` the page had (its own socket.io, or none) is put back once ours is
  // taken; on a page with an AMD loader (RequireJS), the client's UMD build would hand
  // itself to `define` instead, so while it runs `define` takes it for the widget.
  function loadClient(ready) {
    var tag = document.createElement("script");
    var had = Object.prototype.hasOwnProperty.call(window, "io"), theirs = window.io;
    var amd = typeof window.define === "function" && window.define.amd ? window.define : null;
    var ours = null;
    function taking(factory) {
      if (document.currentScript === tag && typeof factory === "function") { ours = factory(); return undefined; }
      return amd.apply(this, arguments);
    }
    function restore() {
      if (had) window.io = theirs; else delete window.io;
      if (amd && window.define === taking) window.define = amd;
    }
    if (amd) { taking.amd = amd.amd; window.define = taking; }
    tag.src = hub + "/static/vendor/socket.io/socket.io.min.js";
    tag.async = true;
    tag.onload = function () { var io = ours || window.io; restore(); tag.remove(); ready(io); };
    // The hub is down as the page opens: say so, and try again as a reconnect would.
    tag.onerror = function () {
      restore(); tag.remove(); statusLine.textContent = T.offline;
      setTimeout(function () { loadClient(ready); }, 5000);
    };
    document.head.appendChild(tag);
  }

  // Only while connected: the client would otherwise queue an event and send it on the
  // next connection before session_request; what matters is resent from `pending`.
  function emit(event, data) { if (socket && socket.connected) socket.emit(event, data); }

  var handlers = {
    session_confirm: function (data) {
      var fresh = sessionId !== data;
      confirmed = true;
      sessionId = data; localStorage.setItem(KEY, data);
      if (fresh) { log.innerHTML = ""; lastId = 0; }
      emit("sync", { after: lastId });
    },
    session_info: function (data) {
      root.setAttribute("data-conversation", data.conversation_id || "");
      upload = data.upload_token ? { conversation: data.conversation_id, token: data.upload_token, max: data.upload_max_bytes, tooLarge: data.upload_too_large || "" } : null;
    },
    resume_offer: offer,
    history: function (data) {
      data.forEach(function (item) { delete pending[(item.metadata || {}).client_message_id]; show(item); });
      Object.keys(pending).forEach(function (id) { utter(id, pending[id]); });
    },
    user_stored: function (data) {
      delete pending[(data.metadata || {}).client_message_id];
      show(data);
      // An analyst answers when they answer; only Carolina gets a typing indicator.
      // A file gets no reply (replies: 0).
      if ((data.metadata || {}).to !== "analyst" && (data.metadata || {}).replies !== 0) typing(true);
    },
    bot_uttered: function (data) { typing(false); show(data); },
    agent_typing: function (data) {
      statusLine.textContent = T.agentTyping.replace("{name}", data.name || "");
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { statusLine.textContent = ""; }, 3000);
    },
    queue_position: function (data) { statusLine.textContent = T.position.replace("{n}", data.position); }
  };

  function connect(io) {
    socket = io(hub, {
      path: "/socket.io",
      // WebSocket first. A proxy that refuses it makes the attempt fail, and one that
      // holds it makes it time out; either way the next attempts start with
      // long-polling, which moves up to a WebSocket whenever one gets through.
      transports: ["websocket", "polling"],
      reconnectionDelay: 500,
      reconnectionDelayMax: 10000
    });
    // Every connection, the first and each after a drop, asks for the session again:
    // the hub answers with session_confirm, and the widget then asks for what it missed.
    socket.on("connect", function () {
      statusLine.textContent = ""; confirmed = false;
      emit("session_request", { session_id: sessionId, token: token, language: lang });
    });
    socket.on("connect_error", function () {
      statusLine.textContent = T.offline;
      socket.io.opts.transports = ["polling", "websocket"];
    });
    socket.on("disconnect", function () { statusLine.textContent = T.offline; confirmed = false; });
    Object.keys(handlers).forEach(function (event) { socket.on(event, handlers[event]); });
  }

  function newId() {
    return (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
  }

  // label: the title of the button clicked, which the hub keeps next to its payload (what analysts read).
  function send(text, label) {
    var id = newId();
    pending[id] = { text: text, title: label };
    utter(id, pending[id]);
  }
  // Not before the hub has confirmed the session on this connection (it would answer
  // "bad request": no conversation yet); until then the message waits in `pending`,
  // which the history that follows the confirmation sends.
  function utter(id, item) {
    if (!confirmed) return;
    var data = { message: item.text, message_id: id, session_id: sessionId, customData: { language: lang } };
    if (item.title) data.title = item.title;
    emit("user_uttered", data);
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
  loadClient(connect);
})();
