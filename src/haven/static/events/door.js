/* The door page: scan or type a ticket code, or admit someone found by name.
 *
 * Online, every check-in goes to the server, which admits a ticket once whichever door asks
 * first. When the connection drops, the door list downloaded beforehand (SHA-256 digests of
 * the ticket codes, states, and names sealed under their own ticket code) lets this phone
 * admit tickets it has not admitted before; those check-ins wait in localStorage and are
 * synced when the connection returns, and the server reports a conflict when another door
 * had already taken the ticket. What stays on the phone, and for how long, is kept by
 * door-storage.js (loaded first).
 * No inline script: the page hands over its URLs and labels in data- attributes and JSON.
 */
(function () {
  "use strict";

  const root = document.getElementById("door");
  const store = window.havenDoorStorage;
  if (!root || !store) {
    return;
  }
  const labels = JSON.parse(document.getElementById("door-labels").textContent);
  const idCheck = root.dataset.idCheck === "true";
  const eventId = root.dataset.event;
  // The server's limit on check-ins posted at once (access.DOOR_BATCH).
  const batchSize = Number(root.dataset.batch);
  const csrfInput = root.querySelector("input[name=csrfmiddlewaretoken]");
  const csrf = csrfInput ? csrfInput.value : "";
  const keys = {
    list: "haven.door." + eventId + ".list",
    queue: "haven.door." + eventId + ".queue",
    admitted: "haven.door." + eventId + ".admitted",
  };
  const result = document.getElementById("door-result");
  const registrant = document.getElementById("door-registrant");
  const connection = document.getElementById("door-connection");
  const queueNote = document.getElementById("door-queue");
  const codeForm = document.getElementById("door-code-form");
  const codeInput = document.getElementById("door-code");
  const idBox = document.getElementById("door-id-checked");

  function stored(key) {
    const entry = store.read(key);
    return store.isLive(entry) ? entry : null;
  }

  let doorList = stored(keys.list) || { rows: [], keep_until: root.dataset.keepUntil };
  const queueEntry = stored(keys.queue);
  let queue = queueEntry && Array.isArray(queueEntry.items) ? queueEntry.items : [];
  let queueUntil = (queueEntry && queueEntry.keep_until) || root.dataset.queueKeepUntil;
  const admittedEntry = stored(keys.admitted);
  // Tickets admitted on this phone (digest or registration id → when): never admitted twice.
  const admittedHere = (admittedEntry && admittedEntry.tickets) || {};
  let leaving = false;

  function listUntil() {
    return doorList.keep_until || root.dataset.keepUntil;
  }

  // Kept only until its time; after that (the event is over) memory holds it for this page.
  function saveList() {
    if (!leaving && store.isLive({ keep_until: listUntil() })) {
      store.write(keys.list, doorList);
    } else {
      store.remove(keys.list);
    }
  }

  function saveAdmitted() {
    if (!leaving && store.isLive({ keep_until: listUntil() })) {
      store.write(keys.admitted, { keep_until: listUntil(), tickets: admittedHere });
    } else {
      store.remove(keys.admitted);
    }
  }

  function saveQueue() {
    if (queue.length) {
      store.write(keys.queue, { keep_until: queueUntil, items: queue });
    } else {
      store.remove(keys.queue);
    }
  }

  // The session ended (a request was sent to the login page): forget the names, and let the
  // login page take over; check-ins waiting to be synced stay for the next session.
  function signedOut() {
    leaving = true;
    store.forgetNames();
    window.location.reload();
  }

  function setOnline(online) {
    connection.hidden = online;
    connection.textContent = online ? "" : labels.offline;
  }

  function showQueue() {
    queueNote.hidden = queue.length === 0;
    queueNote.textContent = labels.waiting_sync + ": " + queue.length;
  }

  function element(tag, text, className) {
    const node = document.createElement(tag);
    node.textContent = text;
    if (className) {
      node.className = className;
    }
    return node;
  }

  function show(kind, message, person) {
    result.replaceChildren();
    let style = "";
    if (kind === "admitted" || kind === "offline" || kind === "synced") {
      style = "door-admitted";
    } else if (kind === "id_required") {
      style = "door-warning";
    }
    result.appendChild(element("p", message, style));
    registrant.replaceChildren();
    registrant.hidden = !person;
    if (person) {
      registrant.appendChild(element("p", person.name || "—", "door-name"));
      if (person.group && person.group.length) {
        registrant.appendChild(element("p", person.group.join(", "), "hint"));
      }
      (person.answers || []).forEach(function (answer) {
        registrant.appendChild(element("p", answer.label + ": " + answer.answer, "hint"));
      });
    }
  }

  function showCounts(counts) {
    ["registered", "waiting", "checked_in"].forEach(function (name) {
      const node = document.getElementById("count-" + name);
      if (node && counts && typeof counts[name] === "number") {
        node.textContent = String(counts[name]);
      }
    });
  }

  // A typed code may keep the spaces or dashes it is printed with (as access.py cleans it).
  function cleanCode(code) {
    return code.replace(/[\s-]+/g, "").toLowerCase();
  }

  async function digestOf(code) {
    const bytes = new TextEncoder().encode(cleanCode(code));
    const hash = await window.crypto.subtle.digest("SHA-256", bytes);
    return Array.from(new Uint8Array(hash))
      .map(function (byte) {
        return byte.toString(16).padStart(2, "0");
      })
      .join("");
  }

  async function post(items) {
    const response = await fetch(root.dataset.checkInUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ items: items }),
    });
    if (response.redirected) {
      signedOut();
      return null;
    }
    if (response.status >= 500 || response.status === 0) {
      throw new Error("server " + response.status);
    }
    if (!response.ok) {
      return null;
    }
    return response.json();
  }

  function rowFor(item, digest) {
    return (doorList.rows || []).find(function (row) {
      return digest ? row.digest === digest : row.id === item.registration_id;
    });
  }

  function markHere(key) {
    if (key && !admittedHere[key]) {
      admittedHere[key] = new Date().toISOString();
      saveAdmitted();
    }
  }

  const encoder = new TextEncoder();

  // A name in the door list is sealed under its ticket's code (AES-GCM, key by HKDF-SHA-256,
  // as events/door.py seals it): only scanning the ticket shows it.
  async function unseal(code, sealed) {
    if (!code || !sealed) {
      return "";
    }
    try {
      const bytes = Uint8Array.from(window.atob(sealed), function (character) {
        return character.charCodeAt(0);
      });
      const subtle = window.crypto.subtle;
      const base = await subtle.importKey(
        "raw",
        encoder.encode(cleanCode(code)),
        "HKDF",
        false,
        ["deriveKey"],
      );
      const key = await subtle.deriveKey(
        {
          name: "HKDF",
          hash: "SHA-256",
          salt: new Uint8Array(0),
          info: encoder.encode("haven.door.name"),
        },
        base,
        { name: "AES-GCM", length: 256 },
        false,
        ["decrypt"],
      );
      const plain = await subtle.decrypt(
        { name: "AES-GCM", iv: bytes.slice(0, 12) },
        key,
        bytes.slice(12),
      );
      return new TextDecoder().decode(plain);
    } catch (error) {
      return "";
    }
  }

  // Judge a ticket from the door list alone, as the server would, and queue it.
  async function checkOffline(item, digest, knownName) {
    const row = rowFor(item, digest);
    const key = row ? row.digest || row.id : "";
    if (!row) {
      return show("unknown", labels.unknown, null);
    }
    const name = knownName || (await unseal(item.code, row.name_sealed));
    const person = { name: name, group: [], answers: [] };
    if (row.status === "cancelled" || row.status === "expired") {
      return show("cancelled", labels.cancelled, person);
    }
    if (row.status !== "confirmed") {
      return show("not_confirmed", labels.not_confirmed, person);
    }
    if (row.checked_in_at || admittedHere[key] || admittedHere[row.id]) {
      return show("already", labels.already_here, person);
    }
    if (idCheck && !item.id_checked) {
      return show("id_required", labels.id_required, person);
    }
    markHere(key);
    markHere(row.id);
    item.offline = true;
    queue.push(item);
    saveQueue();
    showQueue();
    show("offline", labels.offline, person);
    return true;
  }

  async function checkIn(item, knownName) {
    item.scanned_at = new Date().toISOString();
    item.offline = false;
    const digest = item.code ? await digestOf(item.code) : "";
    if (!navigator.onLine) {
      setOnline(false);
      return checkOffline(item, digest, knownName);
    }
    let answer;
    try {
      answer = await post([item]);
    } catch (error) {
      setOnline(false);
      return checkOffline(item, digest, knownName);
    }
    setOnline(true);
    if (!answer || !answer.results) {
      return show("error", labels.error, null);
    }
    const outcome = answer.results[0];
    if (outcome.result === "admitted" || outcome.result === "already") {
      const row = rowFor(item, digest);
      markHere(digest || (row && row.digest));
      if (outcome.registrant) {
        markHere(outcome.registrant.id);
      }
    }
    show(outcome.result, outcome.message, outcome.registrant);
    showCounts(answer.counts);
    sync();
    return outcome.admitted;
  }

  let syncing = false;
  async function sync() {
    if (syncing || queue.length === 0 || !navigator.onLine) {
      return;
    }
    syncing = true;
    const batch = queue.slice(0, batchSize);
    try {
      const answer = await post(batch);
      if (answer && answer.results) {
        const conflicts = [];
        answer.results.forEach(function (outcome) {
          if (outcome.result !== "admitted") {
            conflicts.push(
              ((outcome.registrant && outcome.registrant.name) || "—") + ": " + outcome.message,
            );
          }
        });
        queue = queue.slice(batch.length);
        saveQueue();
        showCounts(answer.counts);
        if (conflicts.length) {
          show("conflict", labels.conflict + " — " + conflicts.join("; "), null);
        } else {
          show("synced", labels.synced + ": " + batch.length, null);
        }
      }
      setOnline(true);
    } catch (error) {
      setOnline(false);
    } finally {
      syncing = false;
      showQueue();
    }
  }

  // The page's own refreshes are not someone at the door: they do not keep the session
  // alive, so a phone left on this page still signs out after the idle time.
  const BACKGROUND = { credentials: "same-origin", headers: { "X-Haven-Background": "1" } };

  async function refreshList() {
    try {
      const response = await fetch(root.dataset.listUrl, BACKGROUND);
      if (response.redirected) {
        return signedOut();
      }
      if (response.ok) {
        doorList = await response.json();
        queueUntil = doorList.queue_keep_until || queueUntil;
        saveList();
        saveAdmitted();
        setOnline(true);
      }
    } catch (error) {
      setOnline(false);
    }
  }

  async function refreshCounts() {
    try {
      const response = await fetch(root.dataset.countsUrl, BACKGROUND);
      if (response.redirected) {
        return signedOut();
      }
      if (response.ok) {
        showCounts(await response.json());
        setOnline(true);
        sync();
      }
    } catch (error) {
      setOnline(false);
    }
  }

  // A ticked ID box vouches for one ticket only: it is cleared whatever the outcome
  // (refused too), so the next ticket is never admitted on an earlier person's ID.
  async function checkInOnce(item, box, knownName) {
    item.id_checked = box ? box.checked : false;
    try {
      return await checkIn(item, knownName);
    } finally {
      if (box) {
        box.checked = false;
      }
    }
  }

  codeForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    const code = codeInput.value.trim();
    if (!code) {
      return;
    }
    const admitted = await checkInOnce({ code: code }, idBox);
    if (admitted) {
      codeInput.value = "";
    }
    codeInput.focus();
  });

  root.querySelectorAll("form.door-admit-form").forEach(function (form) {
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      await checkInOnce(
        { registration_id: form.dataset.registration },
        form.querySelector("input[name=id_checked]"),
        form.dataset.name,
      );
      result.scrollIntoView({ block: "center" });
    });
  });

  // The camera: BarcodeDetector where the browser has it, else the vendored jsQR.
  const cameraButton = document.getElementById("door-camera");
  const video = document.getElementById("door-video");
  const canvas = document.getElementById("door-canvas");
  let lastCode = "";
  let lastAt = 0;

  async function detector() {
    if ("BarcodeDetector" in window) {
      try {
        const formats = await window.BarcodeDetector.getSupportedFormats();
        if (formats.indexOf("qr_code") !== -1) {
          const barcode = new window.BarcodeDetector({ formats: ["qr_code"] });
          return async function () {
            const codes = await barcode.detect(video);
            return codes.length ? codes[0].rawValue : "";
          };
        }
      } catch (error) {
        /* fall through to jsQR */
      }
    }
    if (typeof window.jsQR === "function") {
      const context = canvas.getContext("2d", { willReadFrequently: true });
      return async function () {
        const width = video.videoWidth;
        const height = video.videoHeight;
        if (!width || !height) {
          return "";
        }
        canvas.width = width;
        canvas.height = height;
        context.drawImage(video, 0, 0, width, height);
        const found = window.jsQR(context.getImageData(0, 0, width, height).data, width, height, {
          inversionAttempts: "dontInvert",
        });
        return found ? found.data : "";
      };
    }
    return null;
  }

  async function startCamera() {
    const read = await detector();
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment" },
        audio: false,
      });
    } catch (error) {
      stream = null;
    }
    if (!stream || !read) {
      show("error", labels.camera_unavailable, null);
      codeInput.focus();
      return;
    }
    cameraButton.hidden = true;
    video.hidden = false;
    video.srcObject = stream;
    await video.play();
    async function tick() {
      try {
        const code = (await read()).trim();
        const now = Date.now();
        if (code && code.length <= 200 && (code !== lastCode || now - lastAt > 4000)) {
          lastCode = code;
          lastAt = now;
          codeInput.value = code;
          await checkInOnce({ code: code }, idBox);
        }
      } catch (error) {
        /* a frame that could not be read */
      }
      window.setTimeout(tick, 300);
    }
    tick();
  }

  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    cameraButton.hidden = false;
    cameraButton.addEventListener("click", startCamera);
  }

  window.addEventListener("online", function () {
    setOnline(true);
    sync();
    refreshList();
  });
  window.addEventListener("offline", function () {
    setOnline(false);
  });

  // Logging out here: sync what is queued first, then forget the names before leaving.
  const logoutForm = document.querySelector(
    'form[action="' + root.dataset.logoutUrl + '"]',
  );
  if (logoutForm) {
    logoutForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      await Promise.race([
        sync(),
        new Promise(function (resolve) {
          window.setTimeout(resolve, 3000);
        }),
      ]);
      leaving = true;
      store.forgetNames();
      logoutForm.submit();
    });
  }

  saveQueue();
  showQueue();
  refreshList();
  sync();
  window.setInterval(refreshCounts, 10000);
  window.setInterval(refreshList, 60000);
})();
