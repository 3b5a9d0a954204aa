// One room this page is in: what the client knows of it and the element that shows its lines.
//
// The element (`el`) holds the history top (`top`), the stored messages (`list`, in ID order)
// and this user's lines still on their way (`pendingList`); the message list, history paging
// and outbox modules fill them. Only the room on screen is not hidden.

export class Room {
  constructor(name) {
    this.name = name;
    this.status = "joining"; // "joining" | "joined"
    this.ids = new Set();
    this.minId = Infinity;
    this.maxId = 0;
    this.joinedLastId = null;
    this.readMark = 0;
    this.unread = 0;
    this.hasMore = null; // null: not asked yet
    this.loadingOlder = false;
    this.users = [];
    this.usersKnown = false;
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

  /** The last message ID this client holds: where a reconnect resumes from. */
  get resumeSince() {
    if (this.maxId > 0) return this.maxId;
    return this.joinedLastId;
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
  }

  /** Forget every stored message (the server's history was reset). */
  reset() {
    this.list.replaceChildren();
    this.ids.clear();
    this.minId = Infinity;
    this.maxId = 0;
    this.readMark = 0;
    this.unread = 0;
    this.hasMore = null;
  }
}
