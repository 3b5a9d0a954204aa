// One room this page is in: what the client knows of it and the element that shows its lines.
//
// The element (`el`) holds the history top (`top`), the stored messages (`list`, in ID order)
// and this user's lines still on their way (`pendingList`); the message list, history paging
// and outbox modules fill them. Only the room on screen is not hidden.
//
// `entries` holds every message this page has of the room (entries.js), on screen or not: the
// main list's, the open thread's, and thread lines seen going by.
// `maxId` is the highest ID seen, chat line or event (edit, deletion, reaction): where a
// reconnect resumes from.
//
// What is not read yet (unread.js): `readMark` is the person's read marker here (the highest ID
// read on any of its pages), `unread` and `mentions` the counts, which already count every line
// up to `countedTo`; `sinceMark` is where the "new since you were here" line goes (after it).
// A direct conversation (`direct`) is named by the other people in it (`others`).

/** The names the server gives direct conversations (the Room frame says so too). */
const DIRECT_NAME = /^dm\.[0-9a-f]{16}$/;

export class Room {
  constructor(name) {
    this.name = name;
    this.status = "joining"; // "joining" | "joined"
    this.entries = new Map(); // id -> entry
    this.ownIds = new Set(); // IDs of the lines this page sent
    this.role = "none"; // this user's role here (the Room frame's Role)
    this.topic = ""; // the Room frame's settings: the topic, invite-only, owner, moderators
    this.private = false;
    this.owner = null;
    this.moderators = [];
    this.settingsKnown = false; // a Room frame came
    this.typing = []; // who else is typing here now
    this.backlogAsOf = 0; // the ID up to which the join's backlog gives current state
    this.minId = Infinity;
    this.maxId = 0;
    this.joinedLastId = null;
    this.readMark = 0;
    this.countedTo = 0;
    this.countsKnown = false; // the Rooms frame gave the counts
    this.unread = 0;
    this.mentions = 0;
    this.lastMention = 0; // the last Notify counted
    this.sinceMark = null;
    this.divider = null; // the "new since you were here" element, once made
    this.read = { sent: 0, at: 0, wanted: 0, timer: 0 }; // the Read frames sent (unread.js)
    this.direct = DIRECT_NAME.test(name);
    this.others = [];
    this.hasMore = null; // null: not asked yet
    this.loadingOlder = false;
    this.seek = null; // paging back to one message (history.js)
    this.window = null; // lines around a message, short of the newest: {end, held, ...} (around.js)
    this.users = [];
    this.usersKnown = false;
    this.memberCount = null; // a big room's Count: its users are only the names fetched so far
    this.membersAfter = null; // the last name of the pages fetched, while more follow
    this.membersAsked = null; // the Ref of the Members page on its way
    this.settling = false;
    this.settleTimer = 0;
    this.usersBeforeDrop = null;
    this.atBottom = true;
    this.savedFromBottom = 0;
    this.el = document.createElement("section");
    this.el.className = "room-view";
    this.el.dataset.room = name;
    this.el.hidden = true;
    this.top = document.createElement("div");
    this.top.className = "history-top";
    this.list = document.createElement("ol");
    this.list.className = "messages";
    this.pendingList = document.createElement("ol");
    this.pendingList.className = "messages pending-messages";
    this.el.append(this.top, this.list, this.pendingList);
  }

  /** The highest ID this client has seen (message or event): where a reconnect resumes from. */
  get resumeSince() {
    if (this.maxId > 0) return this.maxId;
    return this.joinedLastId;
  }

  /** How the room is called on the page: "#name", or the people of a direct conversation. */
  get label() {
    if (!this.direct) return `#${this.name}`;
    return this.others.length > 0 ? this.others.join(", ") : "Direct conversation";
  }

  /** How many people are in the room: a big room's Count, else everyone listed. */
  get userCount() {
    return this.memberCount ?? this.users.length;
  }

  get canLoadOlder() {
    if (this.hasMore !== null) return this.hasMore;
    return this.minId !== Infinity && this.minId > 1;
  }

  /** The connection dropped: join again on the next one, remembering who was here. */
  connectionLost() {
    if (this.status === "joined" && this.usersKnown && !this.usersBeforeDrop) {
      this.usersBeforeDrop = this.users;
    }
    this.status = "joining";
    this.loadingOlder = false;
    this.typing = [];
  }

  /** Forget every stored message (the server's history was reset). */
  reset() {
    this.list.replaceChildren();
    this.entries.clear();
    this.minId = Infinity;
    this.maxId = 0;
    this.readMark = 0;
    this.countedTo = 0;
    this.unread = 0;
    this.mentions = 0;
    this.lastMention = 0;
    this.sinceMark = null;
    this.read.sent = 0;
    this.read.wanted = 0;
    this.hasMore = null;
    this.window = null;
  }
}
