/* The console's reports view (#reports), for supervisors and administrators: six
 * sections over GET /api/reports/<name>, each with its key figures, a chart drawn by
 * the vendored Chart.js (bot/static/vendor/chart.js/, loaded the first time the view
 * opens) and its tables with a CSV link. console.js's router calls
 * window.CarolinaReports(toolkit); the toolkit is the console's own helpers (el, t,
 * named, request...). Texts from the hub (questions, comments, titles) go into the
 * page as text, never as HTML; charts only draw on their canvas.
 */
(function () {
  "use strict";
  var STRINGS = {
    pt: {
      reports: "Relatórios", show: "Mostrar", not_told: "não informado", loading: "Carregando…", no_data: "Sem dados neste período.", bad_range: "A data inicial vem depois da final.",
      download_csv: "Baixar CSV", date: "Data", total: "Total", lang_pt: "português", lang_es: "espanhol", lang_en: "inglês",
      containment: "Contenção: quem resolveu as conversas", containment_hint: "Cada conversa iniciada no dia: só com a Carolina, com um analista no chat ou virou chamado.",
      conversations: "Conversas", bot: "Só a Carolina", human: "Com um analista", ticket: "Virou chamado",
      kb: "Base de conhecimento", kb_hint: "Artigos dados como resposta, listas de sugestões, perguntas sem resposta e os votos dos clientes.",
      answers: "Respostas dadas", suggestions: "Listas de sugestões", no_answer: "Sem resposta", helpful: "Ajudou", unhelpful: "Não ajudou", no_vote: "Sem voto",
      helpful_rate: "Quanto ajudou", votes: "votos", article: "Artigo", shown: "Mostrado", most_shown: "Artigos mais mostrados", least_helpful: "Artigos que menos ajudaram",
      gaps: "Lacunas: o que a Carolina não soube responder", gaps_hint: "Perguntas sem resposta ou com uma resposta que não ajudou, agrupadas por assunto, as mais frequentes primeiro. Escreva o artigo que falta e marque o grupo como resolvido.",
      one_question: "pergunta", questions: "perguntas", no_gaps: "Nenhuma lacuna por resolver neste período.", groups: "Grupos", examples: "Exemplos", mark_handled: "Marcar como resolvido", handled: "Grupo marcado como resolvido.", gap_chart: "Perguntas por assunto",
      live_chat: "Chat ao vivo", live_chat_hint: "Pedidos de atendimento por fila, espera até um analista atender, abandonos e duração do atendimento.",
      requests: "Pedidos", accepted: "Atendidos", abandoned: "Abandonados", abandon_rate: "Abandono", wait_p50: "Espera (mediana)", wait_p90: "Espera (90%)", handle_p50: "Atendimento (mediana)",
      online_by_hour: "Analistas online por hora (média)", hour: "Hora", analysts: "Analistas",
      tickets_hint: "Chamados abertos por dia, os evitados por um artigo antes de abrir e o tempo que passam em cada status.",
      opened: "Abertos", deflected: "Evitados por um artigo", by_category: "Abertos por dia, por tipo", by_criticality: "Abertos por dia, por criticidade",
      time_in_status: "Tempo em cada status", median_hours: "Mediana", mean_hours: "Média", ticket_days: "Chamados por dia",
      satisfaction: "Satisfação", satisfaction_hint: "Notas de 0 a 10 depois do chat e do chamado. NPS = % de promotores (9–10) − % de detratores (0–6).",
      survey_live_chat: "Depois do chat ao vivo", survey_ticket: "Depois do chamado", responses: "Respostas", score: "Nota", comment: "Comentário", distribution: "Notas de 0 a 10", latest_comments: "Últimos comentários"
    },
    es: {
      reports: "Informes", show: "Mostrar", not_told: "no informado", loading: "Cargando…", no_data: "Sin datos en este período.", bad_range: "La fecha inicial es posterior a la final.",
      download_csv: "Descargar CSV", date: "Fecha", total: "Total", lang_pt: "portugués", lang_es: "español", lang_en: "inglés",
      containment: "Contención: quién resolvió las conversaciones", containment_hint: "Cada conversación iniciada en el día: solo con Carolina, con un analista en el chat o convertida en solicitud.",
      conversations: "Conversaciones", bot: "Solo Carolina", human: "Con un analista", ticket: "Se volvió solicitud",
      kb: "Base de conocimiento", kb_hint: "Artículos dados como respuesta, listas de sugerencias, preguntas sin respuesta y los votos de los clientes.",
      answers: "Respuestas dadas", suggestions: "Listas de sugerencias", no_answer: "Sin respuesta", helpful: "Ayudó", unhelpful: "No ayudó", no_vote: "Sin voto",
      helpful_rate: "Cuánto ayudó", votes: "votos", article: "Artículo", shown: "Mostrado", most_shown: "Artículos más mostrados", least_helpful: "Artículos que menos ayudaron",
      gaps: "Vacíos: lo que Carolina no supo responder", gaps_hint: "Preguntas sin respuesta o con una respuesta que no ayudó, agrupadas por tema, las más frecuentes primero. Escriba el artículo que falta y marque el grupo como resuelto.",
      one_question: "pregunta", questions: "preguntas", no_gaps: "Ningún vacío por resolver en este período.", groups: "Grupos", examples: "Ejemplos", mark_handled: "Marcar como resuelto", handled: "Grupo marcado como resuelto.", gap_chart: "Preguntas por tema",
      live_chat: "Chat en vivo", live_chat_hint: "Pedidos de atención por fila, espera hasta que un analista atiende, abandonos y duración de la atención.",
      requests: "Pedidos", accepted: "Atendidos", abandoned: "Abandonados", abandon_rate: "Abandono", wait_p50: "Espera (mediana)", wait_p90: "Espera (90 %)", handle_p50: "Atención (mediana)",
      online_by_hour: "Analistas en línea por hora (promedio)", hour: "Hora", analysts: "Analistas",
      tickets_hint: "Solicitudes abiertas por día, las evitadas por un artículo antes de abrirse y el tiempo que pasan en cada estado.",
      opened: "Abiertas", deflected: "Evitadas por un artículo", by_category: "Abiertas por día, por tipo", by_criticality: "Abiertas por día, por criticidad",
      time_in_status: "Tiempo en cada estado", median_hours: "Mediana", mean_hours: "Promedio", ticket_days: "Solicitudes por día",
      satisfaction: "Satisfacción", satisfaction_hint: "Notas de 0 a 10 después del chat y de la solicitud. NPS = % de promotores (9–10) − % de detractores (0–6).",
      survey_live_chat: "Después del chat en vivo", survey_ticket: "Después de la solicitud", responses: "Respuestas", score: "Nota", comment: "Comentario", distribution: "Notas de 0 a 10", latest_comments: "Últimos comentarios"
    },
    en: {
      reports: "Reports", show: "Show", not_told: "not given", loading: "Loading…", no_data: "No data in this period.", bad_range: "The start date is after the end date.",
      download_csv: "Download CSV", date: "Date", total: "Total", lang_pt: "Portuguese", lang_es: "Spanish", lang_en: "English",
      containment: "Containment: who resolved the conversations", containment_hint: "Each conversation started that day: Carolina alone, an analyst in a live chat, or a ticket.",
      conversations: "Conversations", bot: "Carolina alone", human: "With an analyst", ticket: "Became a ticket",
      kb: "Knowledge base", kb_hint: "Articles given as the answer, lists of suggestions, questions with no answer, and the customers' votes.",
      answers: "Answers given", suggestions: "Suggestion lists", no_answer: "No answer", helpful: "Helpful", unhelpful: "Not helpful", no_vote: "No vote",
      helpful_rate: "Helpful rate", votes: "votes", article: "Article", shown: "Shown", most_shown: "Most shown articles", least_helpful: "Least helpful articles",
      gaps: "Knowledge gaps: what Carolina could not answer", gaps_hint: "Questions with no answer, or with an answer that did not help, grouped by topic, most frequent first. Write the missing article, then mark the group as handled.",
      one_question: "question", questions: "questions", no_gaps: "No open knowledge gaps in this period.", groups: "Groups", examples: "Examples", mark_handled: "Mark as handled", handled: "Group marked as handled.", gap_chart: "Questions by topic",
      live_chat: "Live chat", live_chat_hint: "Requests for a person per queue, the wait until an analyst accepts, abandonment, and how long a chat takes.",
      requests: "Requests", accepted: "Accepted", abandoned: "Abandoned", abandon_rate: "Abandon rate", wait_p50: "Wait (median)", wait_p90: "Wait (90th pct.)", handle_p50: "Handle time (median)",
      online_by_hour: "Analysts online by hour (average)", hour: "Hour", analysts: "Analysts",
      tickets_hint: "Tickets opened per day, those an article deflected before they were opened, and the time tickets spend in each status.",
      opened: "Opened", deflected: "Deflected by an article", by_category: "Opened per day, by type", by_criticality: "Opened per day, by criticality",
      time_in_status: "Time in each status", median_hours: "Median", mean_hours: "Mean", ticket_days: "Tickets per day",
      satisfaction: "Satisfaction", satisfaction_hint: "Scores 0 to 10 after a live chat and after a ticket. NPS = % promoters (9–10) − % detractors (0–6).",
      survey_live_chat: "After a live chat", survey_ticket: "After a ticket", responses: "Responses", score: "Score", comment: "Comment", distribution: "Scores 0 to 10", latest_comments: "Latest comments"
    }
  };
  var SECTIONS = ["containment", "kb", "gaps", "live_chat", "tickets", "satisfaction"];
  var LOCALES = { pt: "pt-BR", es: "es", en: "en" };
  var LANGUAGES = ["pt", "es", "en"];
  var ZONE = "America/Sao_Paulo";  // the API's days are Brasília's
  var COLORS = { bot: "#1f8a3b", human: "#0b5cab", ticket: "#e07b00", helpful: "#1f8a3b", unhelpful: "#c0392b", no_vote: "#aab4c0",
    detractor: "#c0392b", passive: "#e0a800", promoter: "#1f8a3b", bars: "#0b5cab" };
  var PALETTE = ["#0b5cab", "#e07b00", "#1f8a3b", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d", "#d35400"];

  var c = null;          // the console's toolkit, handed over by its router
  var charts = [];       // the Chart instances on the page, destroyed before the next drawing
  var filters = null;    // the form's values, kept while the console is open (a language change redraws)
  var drawing = 0;       // which drawing the replies belong to: a late reply of an older one is dropped
  var chartLoading = null;

  function t(key) { return c.t(key); }
  function lang() { return c.lang(); }
  function locale() { return LOCALES[lang()] || "pt-BR"; }
  function el() { return c.el.apply(null, arguments); }

  // ---- formats ------------------------------------------------------------------
  function missing(n) { return n === null || n === undefined || (typeof n === "number" && isNaN(n)); }
  function num(n, digits) { return missing(n) ? "–" : new Intl.NumberFormat(locale(), { maximumFractionDigits: digits || 0 }).format(n); }
  function pct(rate) { return missing(rate) ? "–" : new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 0 }).format(rate); }
  function share(part, whole) { return whole ? num(part) + " (" + pct(part / whole) + ")" : num(part); }
  function signed(n) { return missing(n) ? "–" : new Intl.NumberFormat(locale(), { maximumFractionDigits: 1, signDisplay: "exceptZero" }).format(n); }
  function duration(seconds) {
    if (missing(seconds)) return "–";
    if (seconds < 60) return num(seconds) + " s";
    if (seconds < 3600) return num(seconds / 60, seconds < 600 ? 1 : 0) + " min";
    return num(seconds / 3600, 1) + " h";
  }
  function hours(h) { return missing(h) ? "–" : num(h, 1) + " h"; }
  // "2026-11-03" is a day, not a moment: read and written at noon UTC so no time zone moves it.
  function dayOf(iso) { return new Date(iso.slice(0, 10) + "T12:00:00Z"); }
  function shortDay(iso) { return dayOf(iso).toLocaleDateString(locale(), { day: "2-digit", month: "2-digit", timeZone: "UTC" }); }
  function longDay(iso) { return dayOf(iso).toLocaleDateString(locale(), { day: "2-digit", month: "short", year: "numeric", timeZone: "UTC" }); }
  function isoDay(date) { return date.toISOString().slice(0, 10); }
  function languageName(code) { return STRINGS[lang()]["lang_" + code] || code; }
  function clip(text, length) { text = String(text || ""); return text.length > length ? text.slice(0, length - 1) + "…" : text; }
  function articleTitle(a) { return a.title || a.article_id; }

  // The last 30 days up to today, Brasília's days (the API's default too).
  function defaultFilters() {
    var today = new Intl.DateTimeFormat("en-CA", { timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
    var from = dayOf(today);
    from.setUTCDate(from.getUTCDate() - 29);
    return { from: isoDay(from), to: today, language: "", queue: "" };
  }
  function query(extra) {
    var q = new URLSearchParams();
    Object.keys(filters).forEach(function (k) { if (filters[k]) q.set(k, filters[k]); });
    q.set("lang", lang());  // the knowledge base's titles in the analyst's language
    Object.keys(extra || {}).forEach(function (k) { q.set(k, extra[k]); });
    return q.toString();
  }

  // ---- pieces ---------------------------------------------------------------------
  function loadChartJs() {
    if (window.Chart) return Promise.resolve();
    if (!chartLoading) {
      chartLoading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = "/static/vendor/chart.js/chart.umd.js";
        script.onload = function () { window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily; resolve(); };
        script.onerror = function () { chartLoading = null; reject(new Error("Chart.js")); };
        document.head.appendChild(script);
      });
    }
    return chartLoading;
  }
  function destroyCharts() { charts.forEach(function (chart) { chart.destroy(); }); charts = []; }

  // A chart in a box of fixed height (Chart.js fills its parent); animation off, so what
  // is drawn is final at once (tests, screenshots, printing).
  function chart(title, config) {
    var canvas = el("canvas", { role: "img", "aria-label": title });
    var holder = el("div", { class: "canvas" }, canvas);
    // A horizontal chart grows with its bars, each label readable (set through the CSSOM, which the CSP allows).
    if (config.rows) holder.style.height = Math.max(120, config.rows * 28 + 50) + "px";
    delete config.rows;
    var box = el("figure", { class: "chart" }, el("figcaption", { text: title }), holder);
    var options = config.options || {};
    options.responsive = true;
    options.maintainAspectRatio = false;
    options.animation = false;
    options.locale = locale();
    options.plugins = Object.assign({ legend: { position: "bottom", labels: { boxWidth: 12 } } }, options.plugins || {});
    config.options = options;
    if (window.Chart) charts.push(new window.Chart(canvas, config));
    return box;
  }
  function countAxis(stacked) { return { stacked: !!stacked, beginAtZero: true, grace: "5%", ticks: { precision: 0 } }; }
  function stackedBars(labels, datasets, horizontal) {
    var scales = horizontal ? { x: countAxis(true), y: { stacked: true, ticks: { autoSkip: false } } } : { x: { stacked: true }, y: countAxis(true) };
    return { type: "bar", rows: horizontal ? labels.length : 0, data: { labels: labels, datasets: datasets }, options: { indexAxis: horizontal ? "y" : "x", scales: scales } };
  }
  function tiles(items) {
    var dl = el("dl", { class: "tiles" });
    items.forEach(function (item) { dl.appendChild(el("div", {}, el("dt", { text: item[0] }), el("dd", { text: item[1] }))); });
    return dl;
  }
  // columns: [label, numeric?]; rows of cells (text or nodes).
  // A long table scrolls inside its own box (its header stays), so the next section stays near.
  function grid(columns, rows) {
    var head = el("tr");
    columns.forEach(function (col) { head.appendChild(el("th", { scope: "col", class: col[1] ? "num" : null, text: col[0] })); });
    var body = el("tbody");
    rows.forEach(function (cells) {
      var tr = el("tr");
      cells.forEach(function (cell, i) { tr.appendChild(el("td", { class: columns[i][1] ? "num" : null }, cell)); });
      body.appendChild(tr);
    });
    return el("div", { class: "scroll" + (rows.length > 10 ? " long" : ""), tabindex: rows.length > 10 ? "0" : null }, el("table", {}, el("thead", {}, head), body));
  }
  function csv(name, table, title) {
    return el("a", { class: "csv", href: "/api/reports/" + name + "?" + query({ format: "csv", table: table }), download: "",
      text: t("download_csv") + " · " + title });
  }
  function empty(text) { return el("p", { class: "empty", text: text || t("no_data") }); }
  function articleLink(a) { return el("a", { href: "/kb/" + lang() + "/" + encodeURIComponent(a.article_id), target: "_blank", rel: "noopener", text: articleTitle(a) }); }
  // The keys of a list of {key: count} maps, in the vocabulary's order, then any others.
  function keysOf(maps, kind) {
    var seen = {};
    maps.forEach(function (m) { Object.keys(m || {}).forEach(function (k) { seen[k] = true; }); });
    var known = Object.keys(c.vocabulary()[kind] || {}).filter(function (k) { return seen[k]; });
    return known.concat(Object.keys(seen).filter(function (k) { return known.indexOf(k) < 0; }));
  }

  // ---- the sections ---------------------------------------------------------------
  var DRAW = {
    containment: function (data, box) {
      var totals = data.totals || {}, days = data.days || [];
      box.appendChild(tiles([[t("conversations"), num(totals.conversations)], [t("bot"), share(totals.bot, totals.conversations)],
        [t("human"), share(totals.human, totals.conversations)], [t("ticket"), share(totals.ticket, totals.conversations)]]));
      if (!totals.conversations) { box.appendChild(empty()); return; }
      box.appendChild(chart(t("conversations"), stackedBars(days.map(function (d) { return shortDay(d.date); }), ["bot", "human", "ticket"].map(function (k) {
        return { label: t(k), data: days.map(function (d) { return d[k] || 0; }), backgroundColor: COLORS[k] };
      }))));
      var busy = days.filter(function (d) { return d.bot + d.human + d.ticket > 0; });
      box.appendChild(grid([[t("date")], [t("bot"), 1], [t("human"), 1], [t("ticket"), 1], [t("total"), 1]],
        busy.map(function (d) { return [longDay(d.date), num(d.bot), num(d.human), num(d.ticket), num(d.bot + d.human + d.ticket)]; })
          .concat([[t("total"), num(totals.bot), num(totals.human), num(totals.ticket), num(totals.conversations)]])));
      box.appendChild(csv("containment", "days", t("conversations")));
    },

    kb: function (data, box) {
      var votes = (data.helpful || 0) + (data.unhelpful || 0);
      box.appendChild(tiles([[t("answers"), num(data.answers)], [t("suggestions"), num(data.suggestions)], [t("no_answer"), num(data.no_answer)],
        [t("helpful_rate"), votes ? pct(data.helpful_rate) + " · " + num(votes) + " " + t("votes") : "–"]]));
      var shown = data.most_shown || [], least = data.least_helpful || [];
      if (!shown.length && !(data.answers || data.suggestions || data.no_answer)) { box.appendChild(empty()); return; }
      var top = shown.slice(0, 10);
      if (top.length) {
        box.appendChild(chart(t("most_shown"), stackedBars(top.map(function (a) { return clip(articleTitle(a), 45); }), [
          { label: t("helpful"), data: top.map(function (a) { return a.helpful || 0; }), backgroundColor: COLORS.helpful },
          { label: t("unhelpful"), data: top.map(function (a) { return a.unhelpful || 0; }), backgroundColor: COLORS.unhelpful },
          { label: t("no_vote"), data: top.map(function (a) { return Math.max(0, a.shown - (a.helpful || 0) - (a.unhelpful || 0)); }), backgroundColor: COLORS.no_vote }
        ], true)));
      }
      var columns = [[t("article")], [t("shown"), 1], [t("helpful"), 1], [t("unhelpful"), 1], [t("helpful_rate"), 1]];
      var rows = function (list) { return list.map(function (a) { return [articleLink(a), num(a.shown), num(a.helpful), num(a.unhelpful), pct(a.helpful_rate)]; }); };
      box.appendChild(el("h3", { text: t("most_shown") }));
      box.appendChild(shown.length ? grid(columns, rows(shown)) : empty());
      box.appendChild(csv("kb", "most_shown", t("most_shown")));
      box.appendChild(el("h3", { text: t("least_helpful") }));
      box.appendChild(least.length ? grid(columns, rows(least)) : empty());
      box.appendChild(csv("kb", "least_helpful", t("least_helpful")));
    },

    gaps: function (data, box, redraw) {
      var groups = data.groups || [];
      var questions = groups.reduce(function (sum, g) { return sum + g.count; }, 0);
      box.appendChild(tiles([[t("groups"), num(groups.length)], [t("questions").replace(/^./, function (s) { return s.toUpperCase(); }), num(questions)]]));
      if (!groups.length) { box.appendChild(empty(t("no_gaps"))); return; }
      var top = groups.slice(0, 10);
      var bars = stackedBars(top.map(function (g) { return clip(g.examples[0], 45); }),
        [{ label: t("questions"), data: top.map(function (g) { return g.count; }), backgroundColor: COLORS.unhelpful }], true);
      bars.options.plugins = { legend: { display: false } };
      box.appendChild(chart(t("gap_chart"), bars));
      var list = el("ol", { class: "gaps" });
      groups.forEach(function (g) {
        var examples = el("ul", { "aria-label": t("examples") });
        g.examples.slice(0, 3).forEach(function (text) { examples.appendChild(el("li", { text: "“" + text + "”" })); });
        var button = el("button", { type: "button", text: t("mark_handled"), onclick: function () {
          button.disabled = true;
          c.request("POST", "/api/reports/gaps/handled", { event_ids: g.event_ids }).then(function () {
            data.groups = data.groups.filter(function (other) { return other !== g; });
            c.say(t("handled"));
            redraw();
          }).catch(function (e) { button.disabled = false; c.failed(e); });
        } });
        list.appendChild(el("li", { class: "gap", "data-key": g.key },
          el("div", {}, el("strong", { text: num(g.count) + " " + t(g.count === 1 ? "one_question" : "questions") }),
            el("span", { class: "langs", text: " · " + g.languages.map(languageName).join(", ") }), examples),
          button));
      });
      box.appendChild(list);
      box.appendChild(csv("gaps", "groups", t("groups")));
    },

    live_chat: function (data, box) {
      var queues = data.queues || [], hoursOnline = data.online_by_hour || [];
      var sum = function (key) { return queues.reduce(function (s, q) { return s + (q[key] || 0); }, 0); };
      var requests = sum("requests");
      box.appendChild(tiles([[t("requests"), num(requests)], [t("accepted"), num(sum("accepted"))], [t("abandoned"), num(sum("abandoned"))],
        // Abandoned of the chats that entered a queue (a transfer is not a second chat), as the API counts it.
        [t("abandon_rate"), sum("queued") ? pct(sum("abandoned") / sum("queued")) : "–"]]));
      var online = hoursOnline.some(function (h) { return h.analysts > 0; });
      if (!requests && !online) { box.appendChild(empty()); return; }
      box.appendChild(chart(t("online_by_hour"), { type: "bar",
        data: { labels: hoursOnline.map(function (h) { return h.hour + "h"; }),
          datasets: [{ label: t("analysts"), data: hoursOnline.map(function (h) { return h.analysts; }), backgroundColor: COLORS.bars }] },
        options: { scales: { y: { beginAtZero: true, grace: "5%" } }, plugins: { legend: { display: false } } } }));
      box.appendChild(csv("live_chat", "online_by_hour", t("online_by_hour")));
      box.appendChild(queues.length ? grid([[t("queue")], [t("requests"), 1], [t("accepted"), 1], [t("abandoned"), 1], [t("abandon_rate"), 1],
        [t("wait_p50"), 1], [t("wait_p90"), 1], [t("handle_p50"), 1]], queues.map(function (q) {
        return [c.named("queues", q.queue), num(q.requests), num(q.accepted), num(q.abandoned), pct(q.abandon_rate),
          duration(q.wait_p50_seconds), duration(q.wait_p90_seconds), duration(q.handle_p50_seconds)];
      })) : empty());
      box.appendChild(csv("live_chat", "queues", t("queues")));
    },

    tickets: function (data, box) {
      var days = data.days || [], statuses = data.time_in_status || [];
      box.appendChild(tiles([[t("opened"), num(data.opened)], [t("deflected"), num(data.deflected)]]));
      if (!data.opened && !data.deflected && !statuses.length) { box.appendChild(empty()); return; }
      var labels = days.map(function (d) { return shortDay(d.date); });
      var byKind = function (field, kind) {
        return keysOf(days.map(function (d) { return d[field]; }), kind).map(function (key, i) {
          return { label: key === c.vocabulary().unknown ? t("not_told") : c.named(kind, key), data: days.map(function (d) { return (d[field] || {})[key] || 0; }), backgroundColor: PALETTE[i % PALETTE.length] };
        });
      };
      if (data.opened) {
        box.appendChild(el("div", { class: "pair" },
          chart(t("by_category"), stackedBars(labels, byKind("by_category", "categories"))),
          chart(t("by_criticality"), stackedBars(labels, byKind("by_criticality", "criticalities")))));
      }
      box.appendChild(csv("tickets", "days", t("ticket_days")));
      box.appendChild(el("h3", { text: t("time_in_status") }));
      box.appendChild(statuses.length ? grid([[t("status")], [t("tickets"), 1], [t("median_hours"), 1], [t("mean_hours"), 1]], statuses.map(function (s) {
        return [c.named("statuses", s.status), num(s.count), hours(s.p50_hours), hours(s.mean_hours)];
      })) : empty());
      box.appendChild(csv("tickets", "time_in_status", t("time_in_status")));
    },

    satisfaction: function (data, box) {
      var pair = el("div", { class: "pair" }), answered = false;
      ["live_chat", "ticket"].forEach(function (channel) {
        var s = data[channel] || { responses: 0, distribution: [], comments: [] };
        var title = t("survey_" + channel);
        var part = el("div", { class: "survey", "data-channel": channel }, el("h3", { text: title }), tiles([["NPS", signed(s.nps)], [t("responses"), num(s.responses)]]));
        if (!s.responses) { part.appendChild(empty()); pair.appendChild(part); return; }
        answered = true;
        var scores = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        part.appendChild(chart(t("distribution") + " · " + title, { type: "bar",
          data: { labels: scores.map(String), datasets: [{ label: t("responses"), data: scores.map(function (n) { return (s.distribution || [])[n] || 0; }),
            backgroundColor: scores.map(function (n) { return n <= 6 ? COLORS.detractor : n <= 8 ? COLORS.passive : COLORS.promoter; }) }] },
          options: { scales: { y: countAxis(false) }, plugins: { legend: { display: false } } } }));
        var comments = (s.comments || []).slice(0, 10);
        part.appendChild(el("h4", { text: t("latest_comments") }));
        part.appendChild(comments.length ? grid([[t("date")], [t("score"), 1], [t("comment")]], comments.map(function (m) {
          return [longDay(m.date), num(m.score), m.text || "–"];
        })) : empty());
        pair.appendChild(part);
      });
      box.appendChild(pair);
      if (answered) box.appendChild(csv("satisfaction", "comments", t("latest_comments")));
    }
  };

  // One section: its frame at once, its figures when the API answers.
  function section(name, mine) {
    var body = el("div", { class: "report-body", "aria-busy": "true" }, el("p", { class: "empty", text: t("loading") }));
    var box = el("section", { class: "report", id: "report-" + name, "aria-labelledby": "report-" + name + "-title" },
      el("h2", { id: "report-" + name + "-title", text: t(name) }), el("p", { class: "hint", text: t(name + "_hint") }), body);
    c.request("GET", "/api/reports/" + name + "?" + query()).then(function (data) {
      return loadChartJs().then(function () { return data; });
    }).then(function (data) {
      if (mine !== drawing || !c.showing("reports")) return;
      var redraw = function () {
        // Only this section's charts go: the others stay as they are.
        charts = charts.filter(function (ch) { if (body.contains(ch.canvas)) { ch.destroy(); return false; } return true; });
        body.textContent = "";
        DRAW[name](data, body, redraw);
      };
      redraw();
      body.removeAttribute("aria-busy");
      box.setAttribute("data-ready", "");
    }).catch(function (e) {
      if (mine !== drawing) return;
      body.textContent = "";
      body.removeAttribute("aria-busy");
      if (e.message !== "unauthorized") body.appendChild(el("p", { class: "error", role: "alert", text: t("error") + e.message }));
    });
    return box;
  }

  function filterForm() {
    var from = el("input", { type: "date", name: "from", value: filters.from, required: true });
    var to = el("input", { type: "date", name: "to", value: filters.to, required: true });
    var language = el("select", { name: "language" }, el("option", { value: "", text: t("any") }));
    LANGUAGES.forEach(function (code) { language.appendChild(el("option", { value: code, text: languageName(code), selected: filters.language === code })); });
    var queue = el("select", { name: "queue" }, el("option", { value: "", text: t("any") }));
    c.queues().forEach(function (q) { queue.appendChild(el("option", { value: q, text: c.named("queues", q), selected: filters.queue === q })); });
    return el("form", { class: "filters", "aria-label": t("reports"), onsubmit: function (e) {
      e.preventDefault();
      if (from.value > to.value) { c.say(t("bad_range")); return; }
      filters = { from: from.value, to: to.value, language: language.value, queue: queue.value };
      draw();
    } }, el("label", {}, t("since"), from), el("label", {}, t("until"), to), el("label", {}, t("language"), language), el("label", {}, t("queue"), queue),
      el("button", { type: "submit", class: "primary", text: t("show") }));
  }

  function draw() {
    drawing += 1;
    destroyCharts();
    c.page(t("nav_reports"));
    var main = document.getElementById("main");
    main.appendChild(filterForm());
    var mine = drawing;
    SECTIONS.forEach(function (name) { main.appendChild(section(name, mine)); });
  }

  // Leaving the view: the charts let go of their canvases and observers.
  window.addEventListener("hashchange", function () { if (location.hash.slice(1).split("/")[0] !== "reports") { drawing += 1; destroyCharts(); } });

  window.CarolinaReports = function (toolkit) {
    if (!c) {
      c = toolkit;
      Object.keys(STRINGS).forEach(function (code) { if (c.T[code]) Object.keys(STRINGS[code]).forEach(function (k) { if (!(k in c.T[code])) c.T[code][k] = STRINGS[code][k]; }); });
    }
    if (!filters) filters = defaultFilters();
    draw();
  };
})();
