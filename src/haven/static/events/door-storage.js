/* What a door phone keeps in localStorage, and for how long (docs/decisions/0021).
 *
 * Door phones are often shared or lent. Per event the phone keeps three entries, each
 * with the moment it must be gone ("keep_until", set by the server):
 *   haven.door.<event>.list      ticket digests, states, names sealed under their ticket
 *   haven.door.<event>.admitted  tickets admitted on this phone (never admitted twice)
 *   haven.door.<event>.queue     check-ins made offline, not yet synced (no names)
 * The list and the admitted tickets go an hour after the event ends (at the latest a day
 * after the list was downloaded) and on logging out; the queue goes once synced, or a
 * week after the event. Every page that loads this file drops what has expired; the login
 * page (where logging out and an ended session lead) loads it with data-signed-out and
 * drops the lists and admitted tickets of every event.
 */
(function () {
  "use strict";

  const PREFIX = "haven.door.";

  function read(key) {
    try {
      const value = window.localStorage.getItem(key);
      return value ? JSON.parse(value) : null;
    } catch (error) {
      return null;
    }
  }

  function write(key, value) {
    try {
      window.localStorage.setItem(key, JSON.stringify(value));
    } catch (error) {
      /* Storage full or refused: memory still holds it for this page. */
    }
  }

  function remove(key) {
    try {
      window.localStorage.removeItem(key);
    } catch (error) {
      /* Nothing stored, nothing to remove. */
    }
  }

  function doorKeys() {
    const found = [];
    try {
      for (let index = 0; index < window.localStorage.length; index += 1) {
        const key = window.localStorage.key(index);
        if (key && key.indexOf(PREFIX) === 0) {
          found.push(key);
        }
      }
    } catch (error) {
      /* localStorage refused: nothing is kept either. */
    }
    return found;
  }

  function isLive(entry, now) {
    if (!entry || typeof entry !== "object" || Array.isArray(entry)) {
      return false;
    }
    const until = Date.parse(entry.keep_until || "");
    return Number.isFinite(until) && until > (now || Date.now());
  }

  // Drop every entry past its time, and any entry kept the old way (without one).
  function purge() {
    const now = Date.now();
    doorKeys().forEach(function (key) {
      if (!isLive(read(key), now)) {
        remove(key);
      }
    });
  }

  // Logging out: the names go at once; unsynced check-ins (no names) wait for their sync.
  function forgetNames() {
    doorKeys().forEach(function (key) {
      if (!/\.queue$/.test(key)) {
        remove(key);
      }
    });
  }

  window.havenDoorStorage = {
    read: read,
    write: write,
    remove: remove,
    isLive: isLive,
    purge: purge,
    forgetNames: forgetNames,
  };

  purge();
  const script = document.currentScript;
  if (script && script.dataset.signedOut !== undefined) {
    forgetNames();
  }
})();
