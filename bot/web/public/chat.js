/*
 * The chat widget of the public trial page: a small client for Rasa's socket.io channel.
 *
 * Protocol (Rasa 3.6, session_persistence on, bot/rasa/session_token.py): emit `session_request
 * {session_id, token}` (both null for a new chat), wait for `session_confirm {session_id,
 * token}` (the server's id and signed token: a new pair unless ours were valid), then emit
 * `user_uttered {message, session_id, token}`; the bot answers with
 * `bot_uttered` events ({text, quick_replies: [{title, payload}]}). Websocket transport only,
 * so one conversation stays on one Rasa replica behind a round-robin load balancer.
 *
 * Kept on the device (sessionStorage, this tab only, cleared by "Start over" or closing the
 * tab): the session id, its token and the transcript, so a reload shows and continues the same
 * chat.
 * Every message is rendered as text (textContent); only http(s) URLs become links.
 * No build step: plain ES2017 for current browsers. See docs/widget.md.
 */
(function () {
  "use strict";

  var STORE_KEY = "ruxChat.v1"; // + "." + the trial id of a page other than the default
  var MAX_KEPT = 300; // messages kept in the transcript
  var TYPING_TIMEOUT_MS = 30000;
  var URL_RE = /\bhttps?:\/\/[^\s<>"']+/g;
  var TEXT = {
    connecting: "Connecting to the helper…",
    cannotReach: "Can't reach the helper right now. Trying again…",
    lost: "Connection lost. Trying to reconnect…",
    back: "Connected again. You can keep chatting.",
    maybeLost: "Connected again. Your last message may not have reached the helper. " +
      "If you got no answer, please send it again.",
    offline: "You are offline. Trying to reconnect… Your message will be sent when the chat " +
      "is back.",
    unavailable: "Sorry, the chat is not available right now. Please try again later.",
    restarted: "Started over. The old chat is cleared from this browser.",
    notSent: "Waiting to send",
    you: "You",
    helper: "Helper"
  };

  var panel = document.getElementById("chat-panel");
  if (!panel) return;
  var launcher = document.getElementById("chat-launcher");
  var log = document.getElementById("chat-log");
  var statusLine = document.getElementById("chat-status");
  var typing = document.getElementById("chat-typing");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var restartButton = document.getElementById("chat-restart");
  var closeButton = document.getElementById("chat-close");
  var serverUrl = panel.getAttribute("data-chat-server") || "/";
  // The trial this page is about: sent with every message (metadata), so the helper answers
  // and prescreens by it; each trial's page keeps its own chat in this tab.
  var trial = panel.getAttribute("data-trial") || "";
  if (panel.getAttribute("data-store-suffix")) STORE_KEY += "." + panel.getAttribute("data-store-suffix");

  var state = load() || fresh();
  var socket = null;
  var confirmed = false; // session_confirm received on the current connection
  var everConfirmed = false;
  var dropped = false; // the connection went away since the last confirm
  var awaiting = false; // a message was sent and no bot message came back yet
  var lostWhileAwaiting = false;
  var pendingHidden = []; // payloads not shown in the transcript (the greeting), not sent yet
  var typingTimer = null;
  var opener = null;

  // ---- state on the device -------------------------------------------------------------

  /* The session id and its token come from the server (session_confirm): a conversation is
     bound to the token, so an id alone cannot read or write it. */
  function fresh() {
    return { sessionId: null, token: null, messages: [], open: false };
  }

  function load() {
    try {
      var raw = window.sessionStorage.getItem(STORE_KEY);
      var saved = raw && JSON.parse(raw);
      if (!saved || typeof saved !== "object") return null;
      var paired = typeof saved.sessionId === "string" && typeof saved.token === "string";
      var unconfirmed = saved.sessionId === null && saved.token === null;
      if ((paired || unconfirmed) && Array.isArray(saved.messages)) {
        return saved;
      }
    } catch (error) {
      /* storage blocked or corrupt: start a new chat */
    }
    return null;
  }

  function save() {
    state.messages = state.messages.slice(-MAX_KEPT);
    try {
      window.sessionStorage.setItem(STORE_KEY, JSON.stringify(state));
    } catch (error) {
      /* storage full or blocked: the chat still works, it just won't survive a reload */
    }
  }

  // ---- rendering (text only, never HTML) -----------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* Appends text to a node, turning http(s) URLs into links; everything else stays text. */
  function appendLinkified(node, text) {
    var last = 0;
    text.replace(URL_RE, function (match, offset) {
      var url = match.replace(/[.,;:!?)\]]+$/, "");
      if (offset > last) node.appendChild(document.createTextNode(text.slice(last, offset)));
      var link = el("a", "", url);
      link.href = url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      node.appendChild(link);
      last = offset + url.length;
      return match;
    });
    if (last < text.length) node.appendChild(document.createTextNode(text.slice(last)));
  }

  function clock(iso) {
    var moment = new Date(iso);
    if (isNaN(moment.getTime())) return "";
    return moment.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
  }

  function renderMessage(message) {
    var item = el("div", "msg msg-" + message.who);
    var who = message.who === "user" ? TEXT.you : TEXT.helper;
    item.appendChild(el("span", "visually-hidden", who + ": "));
    var bubble = el("div", "msg-text");
    appendLinkified(bubble, message.text);
    item.appendChild(bubble);
    var meta = el("div", "msg-meta");
    var time = el("time", "", clock(message.time));
    time.dateTime = message.time;
    var label = el("span", "msg-who", who + " ");
    label.setAttribute("aria-hidden", "true"); // already said by the hidden prefix
    meta.appendChild(label);
    meta.appendChild(time);
    if (message.pending) meta.appendChild(el("span", "msg-pending", " · " + TEXT.notSent));
    item.appendChild(meta);
    return item;
  }

  /* The quick replies on offer: those of the latest bot message that has some, as long as
     the patient has not written since. */
  function activeReplies() {
    for (var i = state.messages.length - 1; i >= 0; i--) {
      var message = state.messages[i];
      if (message.who === "user") return null;
      if (message.replies && message.replies.length) return { index: i, replies: message.replies };
    }
    return null;
  }

  function renderReplies() {
    Array.prototype.forEach.call(log.querySelectorAll(".chat-replies"), function (group) {
      group.parentNode.removeChild(group);
    });
    var active = activeReplies();
    if (!active) return;
    var item = log.children[active.index];
    if (!item) return;
    var group = el("div", "chat-replies");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Answers you can pick");
    active.replies.forEach(function (reply) {
      var button = el("button", "chat-reply", reply.title);
      button.type = "button";
      button.addEventListener("click", function () {
        send(reply.payload, reply.title);
        input.focus();
      });
      group.appendChild(button);
    });
    item.appendChild(group);
  }

  function renderAll() {
    log.textContent = "";
    state.messages.forEach(function (message) {
      log.appendChild(renderMessage(message));
    });
    renderReplies();
    scrollToEnd();
  }

  function addMessage(message) {
    message.time = message.time || new Date().toISOString();
    state.messages.push(message);
    if (state.messages.length > MAX_KEPT) {
      save();
      renderAll();
      return message;
    }
    save();
    log.appendChild(renderMessage(message));
    renderReplies();
    scrollToEnd();
    return message;
  }

  function rerender(message) {
    var index = state.messages.indexOf(message);
    if (index < 0 || !log.children[index]) return;
    log.replaceChild(renderMessage(message), log.children[index]);
    renderReplies();
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  /* kind "connection": cleared once connected; "info": stays until the patient writes. */
  var statusKind = "";
  function setStatus(text, kind) {
    statusLine.textContent = text;
    statusLine.hidden = !text;
    statusKind = text ? kind || "connection" : "";
  }

  function showTyping(on) {
    typing.hidden = !on;
    window.clearTimeout(typingTimer);
    if (on) typingTimer = window.setTimeout(function () { typing.hidden = true; }, TYPING_TIMEOUT_MS);
    scrollToEnd();
  }

  // ---- connection ----------------------------------------------------------------------

  function connect() {
    if (socket) return;
    if (typeof window.io !== "function") {
      setStatus(TEXT.unavailable);
      return;
    }
    var options = {
      path: "/socket.io",
      transports: ["websocket"],
      forceNew: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 4000,
      timeout: 10000
    };
    var current = serverUrl === "/" ? window.io(options) : window.io(serverUrl, options);
    socket = current;
    if (!everConfirmed) setStatus(TEXT.connecting);

    current.on("connect", function () {
      if (current !== socket) return;
      // Asked again on every (re)connection, with what the server gave us last time.
      current.emit("session_request", { session_id: state.sessionId, token: state.token });
    });
    current.on("session_confirm", function (data) {
      if (current !== socket) return;
      if (!data || typeof data.session_id !== "string" || typeof data.token !== "string") return;
      state.sessionId = data.session_id;
      state.token = data.token;
      save();
      confirmed = true;
      everConfirmed = true;
      if (dropped) setStatus(lostWhileAwaiting ? TEXT.maybeLost : TEXT.back, "info");
      else if (statusKind === "connection") setStatus("");
      dropped = false;
      lostWhileAwaiting = false;
      flush();
    });
    current.on("bot_uttered", function (data) {
      if (current !== socket) return;
      onBotMessage(data);
    });
    current.on("disconnect", function (reason) {
      if (current !== socket) return;
      confirmed = false;
      if (reason === "io client disconnect") return;
      dropped = true;
      if (awaiting) lostWhileAwaiting = true;
      awaiting = false;
      showTyping(false);
      setStatus(TEXT.lost);
      // The server closed the session itself: socket.io-client does not retry on its own.
      if (reason === "io server disconnect") current.connect();
    });
    current.on("connect_error", function () {
      if (current !== socket) return;
      if (statusLine.textContent !== TEXT.offline) {
        setStatus(everConfirmed ? TEXT.lost : TEXT.cannotReach);
      }
    });
  }

  function disconnect() {
    if (!socket) return;
    var old = socket;
    socket = null;
    confirmed = false;
    old.removeAllListeners();
    old.disconnect();
  }

  function emit(payload) {
    socket.emit("user_uttered", {
      message: payload, session_id: state.sessionId, token: state.token,
      metadata: trial ? { trial: trial } : {}
    });
    awaiting = true;
    showTyping(true);
  }

  /* Sends what waited for the connection (typed while offline, or the greeting asked for
     before the first confirm), each message once, in order. */
  function flush() {
    if (!confirmed) return;
    pendingHidden.splice(0).forEach(emit);
    state.messages.forEach(function (message) {
      if (!message.pending) return;
      message.pending = false;
      emit(message.payload || message.text);
      rerender(message);
    });
    save();
  }

  /* payload goes to the bot; shown (if not null) is what the transcript shows as "You". */
  function send(payload, shown) {
    var online = socket && confirmed && socket.connected;
    if (shown === null) {
      if (online) emit(payload);
      else pendingHidden.push(payload);
      return;
    }
    var message = { who: "user", text: shown };
    if (payload !== shown) message.payload = payload;
    if (!online) message.pending = true;
    if (statusKind === "info") setStatus("");
    addMessage(message);
    if (online) emit(payload);
    else if (everConfirmed) setStatus(TEXT.offline, "info");
    connect();
  }

  function onBotMessage(data) {
    if (!data || typeof data !== "object") return;
    awaiting = false;
    showTyping(false);
    var replies = (data.quick_replies || data.buttons || [])
      .filter(function (r) { return r && typeof r.title === "string"; })
      .map(function (r) {
        return { title: r.title, payload: typeof r.payload === "string" ? r.payload : r.title };
      });
    var text = typeof data.text === "string" ? data.text : "";
    if (!text && !replies.length) return;
    var message = { who: "bot", text: text };
    if (replies.length) message.replies = replies;
    addMessage(message);
  }

  // ---- opening, closing, starting over -------------------------------------------------

  function openChat(from, focus) {
    opener = from || launcher;
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    document.body.classList.add("chat-open");
    state.open = true;
    save();
    connect();
    scrollToEnd();
    if (focus !== false) input.focus();
  }

  function closeChat() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    document.body.classList.remove("chat-open");
    state.open = false;
    save();
    (opener && document.contains(opener) ? opener : launcher).focus();
  }

  function greetIfEmpty() {
    if (!state.messages.length && !pendingHidden.length) send("/greet", null);
  }

  function startOver() {
    disconnect();
    pendingHidden = [];
    awaiting = false;
    dropped = false;
    lostWhileAwaiting = false;
    showTyping(false);
    state = fresh();
    state.open = true;
    save();
    renderAll();
    connect();
    greetIfEmpty();
    setStatus(TEXT.restarted, "info");
    input.focus();
  }

  // ---- wiring --------------------------------------------------------------------------

  Array.prototype.forEach.call(document.querySelectorAll("[data-chat-open]"), function (button) {
    button.addEventListener("click", function () {
      openChat(button);
      greetIfEmpty();
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-chat-start]"), function (button) {
    button.addEventListener("click", function () {
      openChat(button);
      send(button.getAttribute("data-chat-start"), button.getAttribute("data-chat-label") ||
        button.textContent.trim());
    });
  });
  closeButton.addEventListener("click", closeChat);
  restartButton.addEventListener("click", startOver);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      closeChat();
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text, text);
  });

  renderAll();
  setStatus("");
  if (state.messages.length) {
    connect(); // a reload: continue the same conversation (and send anything left unsent)
    if (state.open) openChat(launcher, false);
  }
})();
