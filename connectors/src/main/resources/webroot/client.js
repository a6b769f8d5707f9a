// Omnistream web client: joins the edge over WebSocket signaling, sends mic + camera (+ screen) over WebRTC,
// plays the agent's voice and shows the events the pipeline sends back on the "omni" data channel.
// When the edge restarts or the connection drops (signaling socket closed or failed, ICE failed or disconnected
// for a while), it reconnects with backoff and resumes the SAME session with the edge's latest resume token: a new
// peer connection with the same tracks, same sessionId, captions, answers and latency chart kept. A "bye" from the
// edge or a refused resume (resume_expired, bad_resume) ends the session for good, as in EdgeClient.
// Plain browser JavaScript (Chromium and Firefox), no build step. window.omni exposes state for tests.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const omni = window.omni = {
    state: 'idle', sessionId: null, events: [], answers: [], captions: [], errors: [],
    agentLevel: 0, maxAgentLevel: 0, agentAudioFrames: 0, pc: null,
    // connection recovery: one entry per resumed connection {reason, lostAt, ms, attempts} (Date.now() ms)
    reconnects: [], reconnectAttempts: 0, hasResumeToken: false, endedReason: null,
    // whole-loop latency measured on this page's clock (performance.now() ms); see the "loop" block below
    turns: [], bargeIns: [], truth: null, calibration: null, micActivity: [], utterances: [], beepLog: [], agentOnsets: [], agentVoice: [],
  };
  // Backoff between resume attempts (the first waits firstDelayMs, so that the edge has seen the old socket close),
  // how long one attempt may take to get a connected peer, and how long ICE may stay "disconnected" before the
  // connection counts as lost (shorter than the edge's iceDisconnectGrace, 10 s, after which it ends the session).
  const RECONNECT = { firstDelayMs: 250, maxDelayMs: 2000, attemptTimeoutMs: 15000, disconnectedGraceMs: 4000 };
  let ws = null, pc = null, dc = null, localStream = null, screenTrack = null;
  const senders = {};
  let audioCtx = null, analyser = null, agentSource = null, agentTimer = null, micTimer = null;
  let signalingUrl = null, joinOptions = {}, mediaReady = null;
  let resume = null;       // {token, expiresAt}: the latest resume token the edge gave this session
  let ended = true;        // no session, or it ended for good (left, bye, refused): never reconnect
  let gen = 0;             // generation of the current socket + peer; callbacks of older ones are ignored
  let recovery = null;     // {reason, lostAt, attempts, timer, watchdog} while reconnecting
  let disconnectedTimer = null;

  function setState(s, cls, label) {
    omni.state = s;
    const el = $('state');
    el.textContent = label || s;
    el.className = 'state ' + (cls || s);
  }
  function notice(text) {
    const el = $('connection');
    el.textContent = text || '';
    el.hidden = !text;
  }
  function showError(code, message) {
    omni.errors.push({ code, message });
    $('error').textContent = code + ': ' + message;
  }
  function send(msg) { if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg)); }
  function appendLine(box, text, cls) {
    const d = document.createElement('div');
    d.textContent = text;
    if (cls) d.className = cls;
    box.appendChild(d);
    box.scrollTop = box.scrollHeight;
    return d;
  }
  function setButtons(inSession) {
    $('join').disabled = inSession;
    ['leave', 'mic', 'camera', 'screen'].forEach((b) => ($(b).disabled = !inSession));
  }

  async function join(options) {
    options = options || {};
    joinOptions = options;
    ended = false;
    resume = null;
    omni.hasResumeToken = false;
    omni.endedReason = null;
    notice('');
    setState('joining', 'connecting');
    const res = await fetch('sessions', { method: 'POST' });
    if (!res.ok) { showError('http_' + res.status, await res.text()); ended = true; setState('failed'); return; }
    const ticket = await res.json();
    const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    signalingUrl = scheme + location.host + ticket.signalingPath;
    openSignaling({ type: 'join', token: ticket.token });
  }

  // One signaling socket; its callbacks act only while it is the current generation.
  function openSignaling(first) {
    const g = ++gen;
    const sock = ws = new WebSocket(signalingUrl);
    sock.onopen = () => { if (g === gen) sock.send(JSON.stringify(first)); };
    sock.onerror = () => { if (g === gen) lost('signaling socket error'); };
    sock.onclose = (ev) => { if (g === gen) lost('signaling socket closed (' + ev.code + ')'); };
    sock.onmessage = (ev) => {
      if (g !== gen) return;
      onSignal(JSON.parse(ev.data), g).catch((e) => { console.warn(e); if (g === gen) lost('client error: ' + e); });
    };
  }

  function rememberToken(token, expiresInSeconds) {
    if (!token) return;
    resume = { token, expiresAt: Date.now() + (expiresInSeconds || 60) * 1000 };
    omni.hasResumeToken = true;
  }

  async function onSignal(m, g) {
    switch (m.type) {
      case 'joined':
        if (m.resumed && m.sessionId !== omni.sessionId) { giveUp('resumed_other_session'); return; }
        rememberToken(m.resumeToken, m.resumeExpiresInSeconds);
        if (!m.resumed) {
          omni.sessionId = m.sessionId;
          mediaReady = captureMedia(joinOptions);
          mediaReady.then(() => setButtons(!ended), (e) => {
            showError('media', String(e));
            send({ type: 'leave' });
            finish('failed', 'no microphone or camera', 'media');
          });
        }
        await mediaReady; // a resume that overtook the first capture waits for it
        if (g !== gen) return;
        await startPeer(m.iceServers || [], g);
        if (!m.resumed && joinOptions.screenTrack && g === gen) await shareScreen(joinOptions.screenTrack);
        break;
      case 'resume_token': if (m.sessionId === omni.sessionId) rememberToken(m.resumeToken, m.expiresInSeconds); break;
      case 'answer': if (pc) await pc.setRemoteDescription({ type: 'answer', sdp: m.sdp }); break;
      case 'ice': if (m.candidate && pc) { try { await pc.addIceCandidate({ candidate: m.candidate, sdpMid: m.sdpMid, sdpMLineIndex: m.sdpMLineIndex }); } catch (e) { console.warn(e); } } break;
      case 'state': omni.edgeState = m.state; break;
      case 'error':
        showError(m.code, m.message);
        // the edge will not continue this session; anything else (rate_limited, session_limit, a resume racing the
        // edge's own notice of the lost connection: "is live on this edge") closes the socket and is retried
        if (recovery && (m.code === 'resume_expired' || (m.code === 'bad_resume' && !/is live/.test(m.message)))) giveUp(m.code);
        break;
      case 'bye': finish('left', 'left (' + (m.reason || 'bye') + ')', m.reason || 'bye'); break;
    }
  }

  async function captureMedia(options) {
    const wantVideo = options.video !== false;
    // a harness playing a known capture file (omni.truth) turns the voice processing off so its timeline holds
    const audio = omni.truth ? { echoCancellation: false, noiseSuppression: false, autoGainControl: false } : true;
    localStream = await navigator.mediaDevices.getUserMedia({ audio, video: wantVideo ? { width: 640, height: 480 } : false });
    $('preview').srcObject = localStream;
    omni.captureStartedAt = performance.now(); // a fake capture file starts about here
    watchMic(localStream);
  }

  // A peer connection for the current session with the tracks it already has (used again after a resume).
  async function startPeer(iceServers, g) {
    const p = pc = omni.pc = new RTCPeerConnection({ iceServers: iceServers.map((u) => ({ urls: u })) });
    const channel = dc = p.createDataChannel('omni', { ordered: true });
    channel.onmessage = (ev) => { if (p === pc) onEvent(JSON.parse(ev.data)); };
    const mic = localStream.getAudioTracks()[0];
    const cam = localStream.getVideoTracks()[0];
    // Fixed transceivers: toggling the camera or the screen later is a replaceTrack, never a renegotiation.
    senders.audio = p.addTransceiver(mic, { direction: 'sendrecv', streams: [localStream] });
    senders.camera = p.addTransceiver(cam || 'video', { direction: 'sendonly' });
    senders.screen = p.addTransceiver(screenTrack || 'video', { direction: 'sendonly' });
    p.ontrack = (ev) => { if (p === pc && ev.track.kind === 'audio') playAgent(ev.streams[0] || new MediaStream([ev.track])); };
    p.onicecandidate = (ev) => { if (p === pc) send({ type: 'ice', candidate: ev.candidate ? ev.candidate.candidate : '',
      sdpMid: ev.candidate ? ev.candidate.sdpMid : null, sdpMLineIndex: ev.candidate ? ev.candidate.sdpMLineIndex : 0 }); };
    p.onconnectionstatechange = () => { if (p === pc) onPeerState(p.connectionState); };
    const offer = await p.createOffer();
    await p.setLocalDescription(offer);
    if (p !== pc || g !== gen) return;
    const tracks = {};
    tracks[senders.audio.mid] = 'audio';
    tracks[senders.camera.mid] = 'camera';
    tracks[senders.screen.mid] = 'screen';
    send({ type: 'offer', sdp: p.localDescription.sdp, tracks });
  }

  function onPeerState(s) {
    clearTimeout(disconnectedTimer);
    if (s === 'connected') {
      if (recovery) recovered();
      setState('connected', 'connected');
    } else if (s === 'failed') {
      lost('ICE failed');
    } else if (s === 'disconnected') {
      // ICE often comes back by itself; if it does not, resume before the edge gives the peer up
      disconnectedTimer = setTimeout(() => { if (pc && pc.connectionState === 'disconnected') lost('ICE disconnected'); },
        RECONNECT.disconnectedGraceMs);
      if (!recovery) setState('disconnected', 'connecting');
    } else if (!recovery) {
      setState(s, s === 'failed' ? 'failed' : 'connecting');
    }
  }

  // ---- Losing and resuming the connection --------------------------------------------------------------------
  // Drops the current socket and peer (their callbacks are ignored from here on); the local tracks stay.
  function teardown() {
    gen++;
    clearTimeout(disconnectedTimer);
    const oldWs = ws, oldPc = pc;
    ws = null; pc = omni.pc = null; dc = null;
    if (oldWs && oldWs.readyState <= WebSocket.OPEN) { try { oldWs.close(1000, 'reconnecting'); } catch (e) { /* gone */ } }
    if (oldPc) { try { oldPc.close(); } catch (e) { /* gone */ } }
  }

  function lost(reason) {
    if (ended) return;
    if (!resume || !omni.sessionId) { // lost before the edge admitted the session: nothing to resume
      teardown(); ended = true; setState('closed', 'idle'); return;
    }
    teardown();
    if (recovery) {            // this attempt failed; try again
      clearTimeout(recovery.watchdog);
    } else {
      recovery = { reason, lostAt: Date.now(), attempts: 0, timer: null, watchdog: null };
      console.info('omni: connection lost (' + reason + '), resuming session ' + omni.sessionId);
    }
    scheduleAttempt();
  }

  function scheduleAttempt() {
    const r = recovery;
    const delay = Math.min(RECONNECT.maxDelayMs, RECONNECT.firstDelayMs * Math.pow(2, r.attempts));
    if (Date.now() + delay >= resume.expiresAt) { giveUp('resume_window_passed'); return; }
    setState('reconnecting', 'reconnecting', 'reconnecting…' + (r.attempts ? ' (attempt ' + (r.attempts + 1) + ')' : ''));
    notice('Connection lost (' + r.reason + '). Reconnecting… your session continues.');
    clearTimeout(r.timer);
    r.timer = setTimeout(attempt, delay);
  }

  function attempt() {
    const r = recovery;
    if (!r || ended) return;
    r.attempts++;
    omni.reconnectAttempts++;
    openSignaling({ type: 'join', resumeToken: resume.token });
    const g = gen;
    r.watchdog = setTimeout(() => { if (g === gen && recovery === r) lost('resume attempt timed out'); },
      RECONNECT.attemptTimeoutMs);
  }

  function recovered() {
    const r = recovery;
    recovery = null;
    clearTimeout(r.timer);
    clearTimeout(r.watchdog);
    const ms = Date.now() - r.lostAt;
    omni.reconnects.push({ reason: r.reason, lostAt: r.lostAt, ms, attempts: r.attempts });
    notice('Reconnected after ' + (ms / 1000).toFixed(1) + ' s.');
    setTimeout(() => { if (!recovery && !ended && omni.state === 'connected') notice(''); }, 4000);
  }

  // The session is over: left, ended by the edge (bye), or it could not be resumed.
  function finish(state, label, reason) {
    ended = true;
    omni.endedReason = reason;
    if (recovery) { clearTimeout(recovery.timer); clearTimeout(recovery.watchdog); recovery = null; }
    teardown();
    if (localStream) localStream.getTracks().forEach((t) => t.stop());
    if (screenTrack) screenTrack.stop();
    screenTrack = null;
    setState(state, state === 'left' ? 'idle' : 'failed', label);
    setButtons(false);
  }

  function giveUp(code) {
    finish('ended', 'session ended', code);
    notice('The session could not be resumed (' + code + '). Join again to start a new session.');
  }

  function playAgent(stream) {
    const el = $('agentAudio');
    el.srcObject = stream;
    el.play().catch(() => {});
    audioCtx = audioCtx || new AudioContext();
    audioCtx.resume().catch(() => {});
    if (!analyser) {
      analyser = audioCtx.createAnalyser();
      analyser.fftSize = 1024;
    }
    if (agentSource) agentSource.disconnect(); // the track of a replaced peer connection
    agentSource = audioCtx.createMediaStreamSource(stream);
    agentSource.connect(analyser);
    if (agentTimer) return;
    const buf = new Float32Array(analyser.fftSize);
    agentTimer = setInterval(() => {
      const now = performance.now();
      analyser.getFloatTimeDomainData(buf);
      let sum = 0;
      for (let i = 0; i < buf.length; i++) sum += buf[i] * buf[i];
      const rms = Math.sqrt(sum / buf.length);
      omni.agentLevel = rms;
      if (rms > 0.01) omni.agentAudioFrames++;
      omni.maxAgentLevel = Math.max(omni.maxAgentLevel, rms);
      $('agentLevel').value = Math.min(1, rms * 4);
      loop.agentTick(buf, audioCtx.sampleRate, now);
    }, 10);
  }

  // ---- Whole-loop latency on the page's own clock ------------------------------------------------------------
  // Agent audio: first / last non-silent sample seen by the analyser on the remote track (the analyser window is
  // the newest fftSize samples, so a sample's time is now - (samples after it) / rate). Customer speech: an
  // energy detector on the local microphone track, or, when a harness sets omni.truth, the known utterance
  // boundaries of the fake capture file. Each utterance k is anchored on its own short beep (truth.beepsSec[k],
  // played in silence before it), so a fake device that plays late or slow under load cannot shift the truth.
  const loop = (() => {
    const AGENT_SAMPLE = 0.02;     // |sample| above this is agent audio (TTS is far louder, silence is ~0)
    const AGENT_GAP_MS = 400;      // agent audio silent this long = the agent stopped (longer than TTS pauses)
    const MIC_RMS = 0.02;          // microphone RMS above this = the customer is speaking (live mode)
    const MIC_HANGOVER_MS = 150;
    const BEEP_SAMPLE = 0.7;       // calibration beep: peak 0.95 in the fake capture file, speech kept below 0.5
    let agentOn = false, agentLastAt = -1e9, agentOnsetAt = 0, answered = false;
    let micOn = false, micLastAt = -1e9, micStartAt = 0, lastSpeechEndAt = null, lastSpeechStartAt = null;
    let barge = null, beepCandidate = null, lastLoudAt = -1e9;
    const traces = {};

    function firstAbove(buf, thr) { for (let i = 0; i < buf.length; i++) if (Math.abs(buf[i]) > thr) return i; return -1; }
    function lastAbove(buf, thr) { for (let i = buf.length - 1; i >= 0; i--) if (Math.abs(buf[i]) > thr) return i; return -1; }
    function sampleTime(now, idx, len, rate) { return now - (len - idx) * 1000 / rate; }

    // utterance k on the page clock, once its beep has been heard
    function truthEndBefore(t) {
      let best = null;
      omni.utterances.forEach((u) => { if (u && u.endAt <= t && (best === null || u.endAt > best)) best = u.endAt; });
      return best;
    }
    function onBeep(at) {
      const tr = omni.truth, us = omni.utterances;
      let k = 0;
      const prev = [...us].reverse().find((u) => u);
      if (!prev) { // the first beep heard: the one nearest to its place in the file since the capture started
        let best = Infinity;
        tr.beepsSec.forEach((b, c) => { const d = Math.abs(at - omni.captureStartedAt - b * 1000); if (d < best) { best = d; k = c; } });
      }
      if (prev) { // the file's beep spacing must hold (10 % + 250 ms); a beep heard late skips the missed ones
        const got = at - prev.beepAt;
        k = -1;
        for (let c = prev.k + 1; c < tr.beepsSec.length; c++) {
          const want = (tr.beepsSec[c] - tr.beepsSec[prev.k]) * 1000;
          if (Math.abs(got - want) <= 0.1 * want + 250) { k = c; break; }
        }
        if (k < 0) { omni.beepLog.push(['spacing', at, got]); return; }
      }
      if (k >= tr.beepsSec.length) return;
      while (us.length < k) us.push(null);
      us.push({ k, beepAt: at, startAt: at + (tr.startsSec[k] - tr.beepsSec[k]) * 1000,
        endAt: at + (tr.endsSec[k] - tr.beepsSec[k]) * 1000 });
      if (!omni.calibration) omni.calibration = { beepAt: at, fileStartAt: at - tr.beepsSec[k] * 1000 };
    }

    function agentTick(buf, rate, now) {
      const first = firstAbove(buf, AGENT_SAMPLE);
      if (first >= 0) {
        const lastAt = sampleTime(now, lastAbove(buf, AGENT_SAMPLE), buf.length, rate);
        if (!agentOn && lastAt - agentLastAt > AGENT_GAP_MS) {
          agentOn = true; answered = false;
          // the first loud sample after the gap: search the window for the first sample after agentLastAt
          let idx = first;
          while (idx < buf.length && (Math.abs(buf[idx]) <= AGENT_SAMPLE || sampleTime(now, idx, buf.length, rate) <= agentLastAt)) idx++;
          agentOnsetAt = sampleTime(now, Math.min(idx, buf.length - 1), buf.length, rate);
          omni.agentVoice.push({ startAt: agentOnsetAt, endAt: lastAt });
          if (omni.agentVoice.length > 200) omni.agentVoice.shift();
          onAgentOnset(agentOnsetAt);
        }
        agentOn = true;
        agentLastAt = Math.max(agentLastAt, lastAt);
        if (omni.agentVoice.length) omni.agentVoice[omni.agentVoice.length - 1].endAt = agentLastAt;
      } else if (agentOn && now - agentLastAt > AGENT_GAP_MS) {
        agentOn = false;
        if (barge && barge.silentAt === undefined) finishBarge(agentLastAt);
      }
    }

    function micTick(buf, rate, now) {
      if (omni.truth) {
        // a beep: the first sample above BEEP_SAMPLE after 300 ms without one, and none again 120..800 ms later
        // (speech has more loud samples soon after); the file's beep spacing then sorts out the rest
        const i = firstAbove(buf, BEEP_SAMPLE), j = lastAbove(buf, BEEP_SAMPLE);
        if (beepCandidate === null) {
          if (i >= 0) {
            const at = sampleTime(now, i, buf.length, rate);
            if (at - lastLoudAt > 300) beepCandidate = at;
          }
        } else if (j >= 0 && sampleTime(now, j, buf.length, rate) > beepCandidate + 120) {
          omni.beepLog.push(['loud-after', beepCandidate, sampleTime(now, j, buf.length, rate)]); beepCandidate = null;
        } else if (now > beepCandidate + 800) { onBeep(beepCandidate); beepCandidate = null; }
        if (j >= 0) lastLoudAt = sampleTime(now, j, buf.length, rate);
      }
      let sum = 0;
      for (let i = 0; i < buf.length; i++) sum += buf[i] * buf[i];
      const rms = Math.sqrt(sum / buf.length);
      if (rms > MIC_RMS) {
        if (!micOn) {
          micOn = true; micStartAt = sampleTime(now, firstAbove(buf, MIC_RMS), buf.length, rate);
          onCustomerStart(micStartAt, 'mic');
        }
        micLastAt = sampleTime(now, Math.max(0, lastAbove(buf, MIC_RMS)), buf.length, rate);
      } else if (micOn && now - micLastAt > MIC_HANGOVER_MS) {
        micOn = false; lastSpeechEndAt = micLastAt;
        omni.micActivity.push({ startAt: micStartAt, endAt: micLastAt });
        if (omni.micActivity.length > 200) omni.micActivity.shift();
      }
      // known starts of the capture file (harness): barge-in is timed from the true speech start
      omni.utterances.forEach((u) => {
        if (u && u.startAt <= now && (lastSpeechStartAt === null || u.startAt > lastSpeechStartAt)) {
          lastSpeechStartAt = u.startAt; onCustomerStart(u.startAt, 'truth');
        }
      });
    }

    function onCustomerStart(at, source) {
      if ((source === 'truth') !== !!omni.truth) return;  // one source of truth per page
      if (agentOn && at - agentLastAt < 60 && !barge) barge = { startAt: at, source, turnId: lastAnswer.turnId };
    }
    function finishBarge(silentAt) {
      if (silentAt < barge.startAt) { barge = null; return; } // the agent had stopped on its own
      barge.silentAt = silentAt;
      barge.ms = silentAt - barge.startAt;
      omni.bargeIns.push(barge);
      barge = null;
      render();
    }

    function onAgentOnset(at) {
      const end = omni.truth ? truthEndBefore(at) : (micOn ? null : lastSpeechEndAt);
      const prev = omni.turns[omni.turns.length - 1];
      const onset = { at, endOfSpeechAt: end, responseId: lastAnswer.responseId, counted: false };
      omni.agentOnsets.push(onset);
      if (omni.agentOnsets.length > 200) omni.agentOnsets.shift();
      if (prev && lastAnswer.responseId !== null && prev.responseId === lastAnswer.responseId) { onset.why = 'pause inside one answer'; return; }
      if (end === null) { onset.why = 'no customer speech ended before'; return; }
      if (prev && prev.endOfSpeechAt !== null && end <= prev.endOfSpeechAt) { onset.why = 'that speech already answered'; return; }
      onset.counted = true;
      const turn = { firstAudioAt: at, endOfSpeechAt: end, ms: at - end, source: omni.truth ? 'truth' : 'mic',
        turnId: lastAnswer.turnId, responseId: lastAnswer.responseId, stages: traces[lastAnswer.turnId] || null };
      omni.turns.push(turn);
      render();
    }
    const lastAnswer = { turnId: null, responseId: null };
    function onAnswer(e) { if (e.hasAudio && !e.cancelled) { lastAnswer.turnId = e.turnId; lastAnswer.responseId = e.responseId; } }
    function onTrace(e) {
      traces[e.turnId] = e.stages;
      for (let i = omni.turns.length - 1; i >= 0; i--) {
        const t = omni.turns[i];
        if (t.turnId === e.turnId || (t.turnId === null && i === omni.turns.length - 1)) { t.turnId = e.turnId; t.stages = e.stages; break; }
      }
    }

    function pct(a, p) { if (!a.length) return null; const s = a.slice().sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; }
    function render() {
      const ms = omni.turns.map((t) => t.ms).filter((v) => v !== null);
      const el = $('loopLatency');
      if (el && ms.length) {
        const last = ms[ms.length - 1];
        el.textContent = 'last ' + last.toFixed(0) + ' ms · p50 ' + pct(ms, 0.5).toFixed(0) + ' ms · p95 '
          + pct(ms, 0.95).toFixed(0) + ' ms · ' + ms.length + ' turns'
          + (omni.bargeIns.length ? ' · barge-in stop ' + omni.bargeIns[omni.bargeIns.length - 1].ms.toFixed(0) + ' ms' : '');
      }
      const c = $('latencyChart');
      if (!c || !c.getContext) return;
      const g = c.getContext('2d'), W = c.width, H = c.height, recent = ms.slice(-24), top = Math.max(400, ...recent);
      g.clearRect(0, 0, W, H);
      const bw = W / 24;
      recent.forEach((v, i) => {
        g.fillStyle = v <= 200 ? '#1f8a4c' : (v <= 300 ? '#b8860b' : '#b22222');
        const h = Math.max(1, v / top * (H - 12));
        g.fillRect(i * bw + 1, H - h, bw - 2, h);
      });
      g.strokeStyle = '#1d2330'; g.setLineDash([4, 3]);
      const y = H - 200 / top * (H - 12);
      g.beginPath(); g.moveTo(0, y); g.lineTo(W, y); g.stroke(); g.setLineDash([]);
      g.fillStyle = '#1d2330'; g.font = '10px sans-serif'; g.fillText('200 ms', 2, y - 2);
    }

    return { agentTick, micTick, onAnswer, onTrace };
  })();
  omni.loop = loop;

  // The microphone tap. An AudioWorklet on the audio thread hands over every sample in 512-sample blocks tagged
  // with their audio-clock frame, so a main thread stalled by a loaded machine (seconds, seen in CI) delays the
  // detectors but never makes them miss a sound such as a 60 ms calibration beep; a block's time on the page clock
  // is its age on the audio clock when it is handled. Without AudioWorklet (an insecure origin) an analyser's
  // window (~340 ms) is read every 10 ms instead, which misses audio only when the page stalls longer than that.
  const TAP_WORKLET = `class OmniTap extends AudioWorkletProcessor {
    constructor() { super(); this.block = new Float32Array(512); this.n = 0; this.first = 0; }
    process(inputs) {
      const ch = inputs[0] && inputs[0][0];
      if (!ch) return true;
      for (let i = 0; i < ch.length; i++) {
        if (this.n === 0) this.first = currentFrame + i;
        this.block[this.n++] = ch[i];
        if (this.n === this.block.length) {
          this.port.postMessage({ first: this.first, samples: this.block }, [this.block.buffer]);
          this.block = new Float32Array(512); this.n = 0;
        }
      }
      return true;
    }
  }
  registerProcessor('omni-mic-tap', OmniTap);`;
  let micTap = null, micTapModule = null;

  function watchMic(stream) {
    const track = stream.getAudioTracks()[0];
    if (!track) return;
    audioCtx = audioCtx || new AudioContext();
    audioCtx.resume().catch(() => {});
    const source = audioCtx.createMediaStreamSource(new MediaStream([track]));
    const stats = omni.micStats = { via: null, firstAt: null, blocks: 0, maxGapMs: 0, lostMs: 0, lastAt: null };
    const seen = (now, lost) => {
      if (stats.firstAt === null) stats.firstAt = now;
      if (stats.lastAt !== null) stats.maxGapMs = Math.max(stats.maxGapMs, now - stats.lastAt);
      stats.lastAt = now; stats.blocks++; stats.lostMs += lost;
    };
    clearInterval(micTimer); // a new session's microphone replaces the old one
    if (micTap) { micTap.port.onmessage = null; micTap.disconnect(); micTap = null; }
    if (audioCtx.audioWorklet) {
      stats.via = 'worklet';
      micTapModule = micTapModule || audioCtx.audioWorklet.addModule(
        URL.createObjectURL(new Blob([TAP_WORKLET], { type: 'application/javascript' })));
      micTapModule.then(() => {
        const tap = micTap = new AudioWorkletNode(audioCtx, 'omni-mic-tap', { numberOfInputs: 1, numberOfOutputs: 0 });
        source.connect(tap);
        tap.port.onmessage = (ev) => {
          const now = performance.now(), rate = audioCtx.sampleRate, b = ev.data.samples;
          const ageMs = (audioCtx.currentTime * rate - (ev.data.first + b.length)) * 1000 / rate;
          seen(now, 0);
          loop.micTick(b, rate, now - Math.max(0, ageMs));
        };
      }).catch((err) => { stats.via = 'analyser (' + err + ')'; watchMicWithAnalyser(source, seen); });
    } else {
      stats.via = 'analyser';
      watchMicWithAnalyser(source, seen);
    }
  }

  function watchMicWithAnalyser(source, seen) {
    const MIC_WINDOW = 16384, STEP = 512;
    const micAnalyser = audioCtx.createAnalyser();
    micAnalyser.fftSize = MIC_WINDOW;
    source.connect(micAnalyser);
    const buf = new Float32Array(MIC_WINDOW);
    let lastFrame = null;
    micTimer = setInterval(() => {
      const now = performance.now(), rate = audioCtx.sampleRate;
      const frame = Math.round(audioCtx.currentTime * rate);
      let fresh = lastFrame === null ? STEP : frame - lastFrame;
      if (fresh <= 0) return; // the audio clock has not moved (context starting or suspended)
      lastFrame = frame;
      seen(now, Math.max(0, fresh - MIC_WINDOW) * 1000 / rate);
      fresh = Math.min(fresh, MIC_WINDOW);
      micAnalyser.getFloatTimeDomainData(buf);
      for (let s = MIC_WINDOW - fresh; s < MIC_WINDOW; s += STEP) {
        const e = Math.min(MIC_WINDOW, s + STEP);
        loop.micTick(buf.subarray(s, e), rate, now - (MIC_WINDOW - e) * 1000 / rate);
      }
    }, 10);
  }

  const partials = {};
  function onEvent(e) {
    e.receivedAt = performance.now(); // page clock, for harnesses that line events up with what was heard
    omni.events.push(e);
    switch (e.type) {
      case 'speech': $('speech').textContent = e.event + ' (turn ' + e.turnId + ')'; break;
      case 'caption': {
        const key = 't' + e.turnId;
        if (partials[key]) partials[key].remove();
        const line = appendLine($('captions'), e.text, e.isFinal ? '' : 'partial');
        if (e.isFinal) { delete partials[key]; omni.captions.push(e.text); } else partials[key] = line;
        break;
      }
      case 'answer': {
        if (e.stale) break; // a chunk of an answer that was cut by a newer one or cancelled: not played, not shown
        loop.onAnswer(e);
        if (e.cancelled) { appendLine($('answers'), '[interrupted]', 'partial'); break; }
        if (e.text) {
          omni.answers.push(e.text);
          const box = $('answers');
          let line = box.querySelector('[data-response="' + e.responseId + '"]');
          if (!line) { line = appendLine(box, ''); line.dataset.response = e.responseId; }
          line.textContent += e.text;
        }
        break;
      }
      case 'screenText': appendLine($('screenText'), e.lines.join(' / ') +
        (e.identifiers.length ? '  [' + e.identifiers.map((i) => i.type + ': ' + i.value).join(', ') + ']' : '')); break;
      case 'latency': {
        loop.onTrace(e);
        const tr = document.createElement('tr');
        [e.turnId, e.totalMs.toFixed(1), Object.keys(e.stages).join(' → ')].forEach((v) => {
          const td = document.createElement('td'); td.textContent = v; tr.appendChild(td);
        });
        $('latency').querySelector('tbody').appendChild(tr);
        break;
      }
    }
  }

  async function shareScreen(track) {
    if (!track) {
      const s = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: 5 } });
      track = s.getVideoTracks()[0];
    }
    screenTrack = track; // a peer created by a resume sends it from the start
    if (pc) await senders.screen.sender.replaceTrack(track);
    $('screenPreview').srcObject = new MediaStream([track]);
    $('screenPreview').hidden = false;
    $('screen').textContent = 'Stop sharing';
    $('screen').setAttribute('aria-pressed', 'true');
    track.onended = () => stopScreen();
  }
  async function stopScreen() {
    if (screenTrack) screenTrack.stop();
    screenTrack = null;
    if (pc) await senders.screen.sender.replaceTrack(null);
    $('screenPreview').hidden = true;
    $('screen').textContent = 'Share screen';
    $('screen').setAttribute('aria-pressed', 'false');
  }
  function toggle(kind, button) {
    const t = kind === 'mic' ? localStream.getAudioTracks()[0] : localStream.getVideoTracks()[0];
    if (!t) return;
    t.enabled = !t.enabled;
    button.setAttribute('aria-pressed', String(t.enabled));
    button.textContent = (kind === 'mic' ? 'Mic ' : 'Camera ') + (t.enabled ? 'on' : 'off');
  }
  function leave() {
    send({ type: 'leave' });
    finish('left', 'left', 'left');
    notice('');
  }

  omni.join = join;
  omni.shareScreen = shareScreen;
  omni.leave = leave;
  $('join').onclick = () => join().catch((e) => showError('client', String(e)));
  $('leave').onclick = leave;
  $('mic').onclick = (ev) => toggle('mic', ev.target);
  $('camera').onclick = (ev) => toggle('camera', ev.target);
  $('screen').onclick = () => (screenTrack ? stopScreen() : shareScreen().catch((e) => showError('screen', String(e))));
})();
