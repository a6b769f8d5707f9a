// Omnistream web client: joins the edge over WebSocket signaling, sends mic + camera (+ screen) over WebRTC,
// plays the agent's voice and shows the events the pipeline sends back on the "omni" data channel.
// Plain browser JavaScript (Chromium and Firefox), no build step. window.omni exposes state for tests.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const omni = window.omni = {
    state: 'idle', sessionId: null, events: [], answers: [], captions: [], errors: [],
    agentLevel: 0, maxAgentLevel: 0, agentAudioFrames: 0, pc: null,
  };
  let ws = null, pc = null, dc = null, localStream = null, screenTrack = null;
  const senders = {};
  let audioCtx = null, analyser = null;

  function setState(s, cls) {
    omni.state = s;
    const el = $('state');
    el.textContent = s;
    el.className = 'state ' + (cls || s);
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

  async function join(options) {
    options = options || {};
    setState('joining', 'connecting');
    const res = await fetch('sessions', { method: 'POST' });
    if (!res.ok) { showError('http_' + res.status, await res.text()); setState('failed'); return; }
    const ticket = await res.json();
    const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    ws = new WebSocket(scheme + location.host + ticket.signalingPath);
    ws.onopen = () => send({ type: 'join', token: ticket.token });
    ws.onclose = () => { if (omni.state !== 'left') setState('closed', 'idle'); };
    ws.onmessage = async (ev) => {
      const m = JSON.parse(ev.data);
      switch (m.type) {
        case 'joined': omni.sessionId = m.sessionId; await startPeer(m.iceServers || [], options); break;
        case 'answer': await pc.setRemoteDescription({ type: 'answer', sdp: m.sdp }); break;
        case 'ice': if (m.candidate) { try { await pc.addIceCandidate({ candidate: m.candidate, sdpMid: m.sdpMid, sdpMLineIndex: m.sdpMLineIndex }); } catch (e) { console.warn(e); } } break;
        case 'state': omni.edgeState = m.state; break;
        case 'error': showError(m.code, m.message); break;
        case 'bye': setState('left', 'idle'); break;
      }
    };
  }

  async function startPeer(iceServers, options) {
    const wantVideo = options.video !== false;
    localStream = await navigator.mediaDevices.getUserMedia({ audio: true, video: wantVideo ? { width: 640, height: 480 } : false });
    $('preview').srcObject = localStream;
    pc = omni.pc = new RTCPeerConnection({ iceServers: iceServers.map((u) => ({ urls: u })) });
    dc = pc.createDataChannel('omni', { ordered: true });
    dc.onmessage = (ev) => onEvent(JSON.parse(ev.data));
    const mic = localStream.getAudioTracks()[0];
    const cam = localStream.getVideoTracks()[0];
    // Fixed transceivers: toggling the camera or the screen later is a replaceTrack, never a renegotiation.
    senders.audio = pc.addTransceiver(mic, { direction: 'sendrecv', streams: [localStream] });
    senders.camera = pc.addTransceiver(cam || 'video', { direction: 'sendonly' });
    senders.screen = pc.addTransceiver('video', { direction: 'sendonly' });
    pc.ontrack = (ev) => { if (ev.track.kind === 'audio') playAgent(ev.streams[0] || new MediaStream([ev.track])); };
    pc.onicecandidate = (ev) => send({ type: 'ice', candidate: ev.candidate ? ev.candidate.candidate : '',
      sdpMid: ev.candidate ? ev.candidate.sdpMid : null, sdpMLineIndex: ev.candidate ? ev.candidate.sdpMLineIndex : 0 });
    pc.onconnectionstatechange = () => {
      const s = pc.connectionState;
      setState(s, s === 'connected' ? 'connected' : (s === 'failed' ? 'failed' : 'connecting'));
    };
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    const tracks = {};
    tracks[senders.audio.mid] = 'audio';
    tracks[senders.camera.mid] = 'camera';
    tracks[senders.screen.mid] = 'screen';
    send({ type: 'offer', sdp: pc.localDescription.sdp, tracks });
    if (options.screenTrack) await shareScreen(options.screenTrack);
    $('join').disabled = true;
    ['leave', 'mic', 'camera', 'screen'].forEach((b) => ($(b).disabled = false));
  }

  function playAgent(stream) {
    const el = $('agentAudio');
    el.srcObject = stream;
    el.play().catch(() => {});
    audioCtx = audioCtx || new AudioContext();
    audioCtx.resume().catch(() => {});
    const src = audioCtx.createMediaStreamSource(stream);
    analyser = audioCtx.createAnalyser();
    analyser.fftSize = 1024;
    src.connect(analyser);
    const buf = new Float32Array(analyser.fftSize);
    setInterval(() => {
      analyser.getFloatTimeDomainData(buf);
      let sum = 0;
      for (let i = 0; i < buf.length; i++) sum += buf[i] * buf[i];
      const rms = Math.sqrt(sum / buf.length);
      omni.agentLevel = rms;
      if (rms > 0.01) omni.agentAudioFrames++;
      omni.maxAgentLevel = Math.max(omni.maxAgentLevel, rms);
      $('agentLevel').value = Math.min(1, rms * 4);
    }, 20);
  }

  const partials = {};
  function onEvent(e) {
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
    screenTrack = track;
    await senders.screen.sender.replaceTrack(track);
    $('screenPreview').srcObject = new MediaStream([track]);
    $('screenPreview').hidden = false;
    $('screen').textContent = 'Stop sharing';
    $('screen').setAttribute('aria-pressed', 'true');
    track.onended = () => stopScreen();
  }
  async function stopScreen() {
    if (screenTrack) screenTrack.stop();
    screenTrack = null;
    await senders.screen.sender.replaceTrack(null);
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
    setState('left', 'idle');
    if (pc) pc.close();
    if (localStream) localStream.getTracks().forEach((t) => t.stop());
    if (screenTrack) screenTrack.stop();
    $('join').disabled = false;
    ['leave', 'mic', 'camera', 'screen'].forEach((b) => ($(b).disabled = true));
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
