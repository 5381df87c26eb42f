/* The chat simulator page: pick who you are, chat with the bot, see its replies and pushes.
   Plain JavaScript, no build step. Every string shown comes from the server (translated). */
(function () {
  "use strict";

  var T = JSON.parse(document.getElementById("sim-text").textContent);
  var API = document.body.getAttribute("data-api");
  var POLL_MS = 1500;
  var PAGE = 30;
  var STORE = "fundbot.simulator";

  var state = {
    tab: "debtor",
    query: "",
    offset: 0,
    person: null, // {kind, id, name, detail, user_id, linked}
    chat: null, // {type: "user"|"group", id, title, detail}
    version: null,
    loading: false,
  };

  var el = function (id) { return document.getElementById(id); };
  var list = el("list");
  var messages = el("messages");

  /* ---------- small helpers ---------- */

  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function showError(text) {
    el("error").textContent = text || "";
  }

  function request(method, path, body) {
    var options = { method: method, headers: { Accept: "application/json" } };
    if (body instanceof FormData) {
      options.body = body;
    } else if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(API + path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw new Error(data.error || T.failed);
        return data;
      });
    });
  }

  function save() {
    try {
      localStorage.setItem(STORE, JSON.stringify({ person: state.person, chat: state.chat }));
    } catch (e) { /* private mode: nothing to remember */ }
  }

  function restore() {
    try {
      var saved = JSON.parse(localStorage.getItem(STORE) || "{}");
      state.person = saved.person || null;
      state.chat = saved.chat || null;
    } catch (e) { /* a broken entry is forgotten */ }
  }

  /* ---------- the picker ---------- */

  function loadList(reset) {
    if (reset) { state.offset = 0; list.innerHTML = ""; }
    var q = encodeURIComponent(state.query);
    var path = state.tab === "group"
      ? "/groups?q=" + q
      : "/people?kind=" + state.tab + "&q=" + q + "&offset=" + state.offset + "&limit=" + PAGE;
    return request("GET", path).then(function (data) {
      var more = list.querySelector(".more");
      if (more) more.remove();
      if (state.tab === "group" && reset) {
        var add = make("button", "new-group", T.new_group);
        add.type = "button";
        add.addEventListener("click", newGroup);
        list.appendChild(add);
      }
      data.items.forEach(function (item) { list.appendChild(pickerRow(item)); });
      if (!data.items.length && reset) list.appendChild(make("div", "empty", T.nothing_found));
      el("count").textContent = data.summary || "";
      if (data.next_offset !== null && data.next_offset !== undefined) {
        state.offset = data.next_offset;
        var button = make("button", "more", T.more);
        button.type = "button";
        button.addEventListener("click", function () { loadList(false); });
        list.appendChild(button);
      }
    }).catch(function (error) { showError(error.message); });
  }

  function pickerRow(item) {
    var row = make("button", "who");
    row.type = "button";
    var name = make("div", "name", item.name);
    if (item.badge) name.appendChild(make("span", "badge" + (item.badge_on ? " on" : ""), item.badge));
    row.appendChild(name);
    if (item.detail) row.appendChild(make("div", "detail", item.detail));
    var selected = state.tab === "group"
      ? state.chat && state.chat.type === "group" && state.chat.id === item.group_id
      : state.person && state.person.kind === item.kind && state.person.id === item.id;
    if (selected) row.classList.add("selected");
    row.addEventListener("click", function () {
      Array.prototype.forEach.call(list.querySelectorAll(".who.selected"), function (n) {
        n.classList.remove("selected");
      });
      row.classList.add("selected");
      if (state.tab === "group") selectGroup(item); else selectPerson(item);
    });
    return row;
  }

  function selectPerson(item) {
    state.person = item;
    state.chat = { type: "user", id: item.user_id, title: item.name, detail: item.detail };
    openChat();
  }

  function selectGroup(item) {
    state.chat = { type: "group", id: item.group_id, title: item.name, detail: item.detail };
    openChat();
  }

  function newGroup() {
    request("POST", "/groups", {}).then(function (group) {
      selectGroup(group);
      loadList(true);
    }).catch(function (error) { showError(error.message); });
  }

  function switchTab(tab) {
    state.tab = tab;
    // A name typed for debtors means nothing among groups: each tab starts unfiltered.
    state.query = "";
    el("search").value = "";
    Array.prototype.forEach.call(document.querySelectorAll(".tabs button"), function (b) {
      b.classList.toggle("active", b.getAttribute("data-tab") === tab);
    });
    loadList(true);
  }

  /* ---------- the chat ---------- */

  function openChat() {
    save();
    showError("");
    state.version = null;
    messages.innerHTML = "";
    el("quick").innerHTML = "";
    renderHead();
    refresh();
  }

  function canSpeak() {
    return Boolean(state.person && state.chat);
  }

  function renderHead() {
    var chat = state.chat;
    var actions = el("chat-actions");
    actions.innerHTML = "";
    el("chat-title").textContent = chat ? chat.title : T.no_chat;
    var sub = chat ? chat.detail || "" : "";
    if (chat && chat.type === "group") {
      sub = (sub ? sub + " · " : "") +
        (state.person ? T.speaking_as.replace("%(name)s", state.person.name) : T.pick_speaker);
    }
    el("chat-sub").textContent = sub;
    el("composer").setAttribute("aria-disabled", canSpeak() ? "false" : "true");
    // LINE shows the debtors' rich menu in the 1:1 chat only.
    el("richmenu").hidden = !(chat && chat.type === "user" && state.person &&
      state.person.kind === "borrower");
    if (!chat) return;
    if (chat.type === "user") {
      if (state.person && !state.person.linked && state.person.can_link) {
        addAction(state.person.kind === "borrower" ? T.link_borrower : T.link_staff, "primary",
          linkPerson);
      }
      addAction(T.follow, "", function () { send({ action: "follow" }); });
      addAction(T.unfollow, "", function () { send({ action: "unfollow" }); });
    } else {
      addAction(T.join, "primary", function () { send({ action: "join" }); });
      addAction(T.member_joined, "", function () { send({ action: "memberJoined" }); });
      addAction(T.leave, "", function () { send({ action: "leave" }); });
    }
  }

  function addAction(label, className, handler) {
    var button = make("button", className, label);
    button.type = "button";
    button.addEventListener("click", handler);
    el("chat-actions").appendChild(button);
  }

  function linkPerson() {
    var person = state.person;
    request("POST", "/link", { kind: person.kind, id: person.id }).then(function (row) {
      state.person = row;
      save();
      renderHead();
      refresh();
      loadList(true);
    }).catch(function (error) { showError(error.message); });
  }

  function send(body) {
    if (!state.chat) return Promise.resolve();
    var needsSpeaker = ["join", "leave"].indexOf(body.action) < 0;
    if (needsSpeaker && !state.person) { showError(T.pick_speaker); return Promise.resolve(); }
    body.chat_type = state.chat.type;
    body.chat_id = state.chat.id;
    body.user_id = state.person ? state.person.user_id : null;
    showError("");
    return request("POST", "/send", body).then(function () {
      // A group appears in the list once something happened in it.
      if (state.chat.type === "group" && state.tab === "group") loadList(true);
      return refresh();
    }).catch(function (error) {
      showError(error.message);
    });
  }

  function sendImage(file) {
    if (!canSpeak() || !file) return;
    var form = new FormData();
    form.append("image", file);
    form.append("chat_type", state.chat.type);
    form.append("chat_id", state.chat.id);
    form.append("user_id", state.person.user_id);
    showError("");
    request("POST", "/image", form).then(refresh).catch(function (error) {
      showError(error.message);
    });
  }

  function refresh() {
    if (!state.chat || state.loading) return Promise.resolve();
    state.loading = true;
    var chat = state.chat;
    return request("GET", "/chats/" + encodeURIComponent(chat.id))
      .then(function (data) {
        if (chat !== state.chat || data.version === state.version) return;
        state.version = data.version;
        renderConversation(data.items);
      })
      .catch(function (error) { showError(error.message); })
      .then(function () { state.loading = false; });
  }

  function renderConversation(items) {
    messages.innerHTML = "";
    if (!items.length) messages.appendChild(make("p", "placeholder", T.empty_chat));
    var lastDay = null;
    items.forEach(function (item) {
      if (item.day !== lastDay) {
        var day = make("div", "day");
        day.appendChild(make("span", null, item.day));
        messages.appendChild(day);
        lastDay = item.day;
      }
      messages.appendChild(renderItem(item));
    });
    renderQuickReplies(items);
    // New turns arrived: show them, as a phone does.
    messages.scrollTop = messages.scrollHeight;
  }

  function renderItem(item) {
    if (item.side === "system") return make("div", "system", item.text + " · " + item.time);
    var row = make("div", "row " + item.side);
    if (item.side === "bot") row.appendChild(make("div", "avatar", "bot"));
    var stack = make("div", "stack");
    if (item.sender) stack.appendChild(make("div", "sender", item.sender));
    item.messages.forEach(function (message) { stack.appendChild(renderMessage(message)); });
    var meta = make("div", "meta");
    if (item.delivery === "push") meta.appendChild(make("span", "pushed", T.pushed));
    meta.appendChild(make("span", null, item.time));
    stack.appendChild(meta);
    row.appendChild(stack);
    return row;
  }

  function renderMessage(message) {
    switch (message.type) {
      case "text": return make("div", "bubble", message.text);
      case "image": {
        var bubble = make("div", "bubble");
        var img = make("img");
        img.src = message.previewImageUrl || message.originalContentUrl;
        img.alt = T.photo;
        bubble.appendChild(img);
        return bubble;
      }
      case "template": return renderTemplate(message);
      case "flex": return renderFlexContainer(message.contents || {}, message.altText);
      case "sticker": return make("div", "bubble alt", T.sticker);
      default: return make("div", "bubble alt", message.altText || "[" + message.type + "]");
    }
  }

  function renderTemplate(message) {
    var template = message.template || {};
    if (template.type === "confirm") {
      var confirm = make("div", "confirm");
      confirm.appendChild(make("div", "text", template.text));
      confirm.appendChild(actionButtons(template.actions));
      return confirm;
    }
    if (template.type === "carousel") {
      var carousel = make("div", "carousel");
      (template.columns || []).forEach(function (column) { carousel.appendChild(card(column)); });
      return carousel;
    }
    if (template.type === "buttons") return card(template);
    return make("div", "bubble alt", message.altText);
  }

  /* A simple Flex render: bubbles (header, body, footer), boxes, texts and buttons. */
  function renderFlexContainer(container, altText) {
    if (container.type === "carousel") {
      var carousel = make("div", "carousel");
      (container.contents || []).forEach(function (bubble) {
        carousel.appendChild(renderFlexBubble(bubble));
      });
      return carousel;
    }
    if (container.type === "bubble") return renderFlexBubble(container);
    return make("div", "bubble alt", altText || "[flex]");
  }

  function renderFlexBubble(bubble) {
    var node = make("div", "card flex");
    ["header", "hero", "body", "footer"].forEach(function (part) {
      if (!bubble[part]) return;
      var section = make("div", "flex-" + part);
      section.appendChild(renderFlexComponent(bubble[part]));
      node.appendChild(section);
    });
    return node;
  }

  function renderFlexComponent(component) {
    if (component.type === "box") {
      var box = make("div", "flex-box flex-" + (component.layout || "vertical"));
      (component.contents || []).forEach(function (child) {
        box.appendChild(renderFlexComponent(child));
      });
      return box;
    }
    if (component.type === "text") {
      var text = make("div", "flex-text", component.text);
      if (component.color) text.style.color = component.color;
      if (component.weight === "bold") text.style.fontWeight = "700";
      if (component.align === "end") text.style.textAlign = "right";
      if (component.size) text.classList.add("flex-size-" + component.size);
      return text;
    }
    if (component.type === "button") {
      var button = make("button", "flex-button flex-" + (component.style || "link"),
        component.action.label);
      button.type = "button";
      button.addEventListener("click", function () { runAction(component.action); });
      return button;
    }
    if (component.type === "separator") return make("hr", "flex-separator");
    return make("span", null, "");
  }

  function card(template) {
    var node = make("div", "card");
    if (template.thumbnailImageUrl) {
      var img = make("img", "thumb");
      img.src = template.thumbnailImageUrl;
      img.alt = "";
      node.appendChild(img);
    }
    var body = make("div", "body");
    if (template.title) body.appendChild(make("div", "title", template.title));
    body.appendChild(make("div", "text", template.text));
    node.appendChild(body);
    node.appendChild(actionButtons(template.actions));
    return node;
  }

  function actionButtons(actions) {
    var box = make("div", "buttons");
    (actions || []).forEach(function (action) {
      var button = make("button", null, action.label);
      button.type = "button";
      button.addEventListener("click", function () { runAction(action); });
      box.appendChild(button);
    });
    return box;
  }

  function renderQuickReplies(items) {
    var quick = el("quick");
    quick.innerHTML = "";
    var last = items[items.length - 1];
    if (!last || last.side !== "bot") return;
    var message = last.messages[last.messages.length - 1];
    var replies = message && message.quickReply && message.quickReply.items;
    (replies || []).forEach(function (reply) {
      var chip = make("button", null, reply.action.label);
      chip.type = "button";
      chip.addEventListener("click", function () { runAction(reply.action); });
      quick.appendChild(chip);
    });
  }

  /* What LINE does when a user taps an action. */
  function runAction(action) {
    if (action.type === "message") return send({ action: "text", text: action.text });
    if (action.type === "postback") {
      return send({ action: "postback", data: action.data, display_text: action.displayText });
    }
    if (action.type === "datetimepicker") {
      var value = window.prompt(action.label, action.initial || "");
      if (value) send({ action: "postback", data: action.data, params: { [action.mode]: value } });
      return;
    }
    if (action.type === "uri") return window.open(action.uri, "_blank", "noopener");
    if (action.type === "camera" || action.type === "cameraRoll") return el("image").click();
    showError(T.unsupported.replace("%(type)s", action.type));
  }

  /* ---------- wiring ---------- */

  Array.prototype.forEach.call(document.querySelectorAll(".tabs button"), function (button) {
    button.addEventListener("click", function () { switchTab(button.getAttribute("data-tab")); });
  });

  var searchTimer = null;
  el("search").addEventListener("input", function (event) {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(function () {
      state.query = event.target.value.trim();
      loadList(true);
    }, 250);
  });

  el("composer").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = el("text");
    var text = input.value.trim();
    if (!text || !canSpeak()) return;
    input.value = "";
    send({ action: "text", text: text });
  });

  /* A tap on a rich menu area sends its text as the debtor, as LINE's message action does. */
  Array.prototype.forEach.call(el("richmenu-areas").querySelectorAll("button"), function (b) {
    b.addEventListener("click", function () {
      if (canSpeak()) runAction({ type: "message", text: b.getAttribute("data-text") });
    });
  });
  el("richmenu-bar").addEventListener("click", function () {
    var areas = el("richmenu-areas");
    areas.hidden = !areas.hidden;
    el("richmenu-bar").setAttribute("aria-expanded", areas.hidden ? "false" : "true");
  });

  el("image").addEventListener("change", function (event) {
    sendImage(event.target.files[0]);
    event.target.value = "";
  });

  /* Reminders "as of" a moment: defaults to today at 09:00, when they go out. */
  var remindAt = el("remind-at");
  var today = new Date();
  var pad = function (n) { return (n < 10 ? "0" : "") + n; };
  remindAt.value = today.getFullYear() + "-" + pad(today.getMonth() + 1) + "-" +
    pad(today.getDate()) + "T09:00";
  el("remind").addEventListener("submit", function (event) {
    event.preventDefault();
    el("remind-result").textContent = "";
    request("POST", "/remind", { at: remindAt.value }).then(function (data) {
      el("remind-result").textContent = data.summary;
      refresh();
    }).catch(function (error) { showError(error.message); });
  });

  setInterval(function () { if (!document.hidden) refresh(); }, POLL_MS);

  restore();
  loadList(true);
  if (state.chat) openChat();
})();
