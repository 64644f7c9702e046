// The meeting page: shows the pre-join screen, then runs the session with the devices chosen there,
// and keeps the tiles, participant panel, controls and status in step with it.
import { e2eeSupported } from '../e2ee/crypto';
import { joinWithToken, type JoinResponse } from '../api';
import { browserCapabilities, problemSummary } from '../capabilities';
import { MeetingError, describeError } from '../errors';
import { copyLink, InviteCard } from '../invite/invite-card';
import { meetingLink } from '../invite/link';
import { ConnectionState, TrackSource, type Participant } from '../gen/videocall_pb';
import { AudioOutput } from '../media/audio-output';
import { cameraCapturePlan } from '../media/simulcast';
import { MediaKind, ParticipantRole, toNumber } from '../protocol';
import { urlFlags } from '../settings';
import { PrejoinPage, type PrejoinResult } from '../prejoin/prejoin-page';
import { QualityView } from '../quality/quality-view';
import { CAMERA_FRAME_RATE } from '../quality/thresholds';
import { TabPresence } from '../prejoin/tab-presence';
import { SocialFeatures } from '../features/social';
import { HostFeatures, type MenuTarget } from '../features/host/host-features';
import { waitingCard } from '../features/host/host-screens';
import { resetStats, stats } from '../stats';
import { errorCard, warningStrip } from '../ui/banner';
import { el } from '../ui/icons';
import { leftCard, markLeft, type Navigate } from './left-page';
import { MeetingShell } from '../ui/meeting-shell';
import { ParticipantsPanel } from '../ui/participants-panel';
import { Toasts } from '../ui/toast';
import { MeetingA11y } from './meeting-a11y';
import { Publisher } from './publisher';
import { RemotePeer } from './remote-peer';
import { MeetingSession } from './session';
import { ALL_GRANTS, NOT_ALLOWED, grantsFromClaim, grantsFromParticipant, publishesAnything, takeTokenFromFragment, type Grants } from './grants';
import { SelfMedia } from './self-media';
import { StageController } from './stage-controller';

/**
 * After our own reconnect, peers missing from the new JoinAccepted roster keep their tile (shown as
 * reconnecting) this long before they are removed. A node we fail over to may not know the room
 * yet: it learns the members of the other nodes from their snapshots just after our join, or, when
 * their node died too, when they arrive themselves within the reconnect grace.
 */
const ROSTER_SETTLE_MS = 6_000;

const VIDEO = { frameRate: CAMERA_FRAME_RATE, keyframeIntervalMs: 4000 };

export function renderMeeting(root: HTMLElement, meetingId: string, navigate: Navigate): () => void {
  const page = new MeetingPage(root, meetingId, navigate);
  page.enter();
  return () => page.dispose();
}

class MeetingPage {
  private session: MeetingSession | null = null;
  private prejoin: PrejoinPage | null = null;
  /** Our camera and microphone, from the pre-join screen on. */
  private self: SelfMedia | null = null;
  /** Tells other tabs of this browser that we are in this meeting (and hears theirs). */
  private readonly presence: TabPresence;
  private readonly toasts = new Toasts();
  /** Connection quality indicators and the connection details dialog. */
  private readonly quality = new QualityView();
  private readonly invite: InviteCard;
  /** Our tracks and their senders (camera simulcast, microphone, screen share); from the first join. */
  private publisher: Publisher | null = null;
  private cameraLayers = 2;
  private audioOutput: AudioOutput | null = null;
  private readonly peers = new Map<number, RemotePeer>();
  /** Receive-only participants (recorders, viewers): no tile, but always shown as receiving. */
  private readonly receivers = new Map<number, Participant>();
  /** Peers held after a reconnect (see ROSTER_SETTLE_MS): id → removal timer. */
  private readonly settling = new Map<number, number>();
  private selfId: number | null = null;
  /** Our identities from before a token-refreshing rejoin: never shown as someone else. */
  private readonly formerSelfIds = new Set<number>();
  private selfRole = ParticipantRole.UNSPECIFIED;
  private displayName = '';
  private finished = false;
  /** The last MediaState told to the server (Hello's, then each change). */
  private sentMediaState = '';
  /** A backend's invitation (`#token=` link), turned into this server's join response. */
  private invitation: JoinResponse | null = null;
  /** What our room token lets us do (docs/PROTOCOL.md §13); the server enforces it. */
  private grants: Grants = { ...ALL_GRANTS };

  private readonly view = new StageController((message) => this.session?.sendControl(message));
  private readonly panel = new ParticipantsPanel();
  private readonly shell: MeetingShell;
  /** Shortcuts, their help dialog and the announcements of joins, leaves and hands. */
  private readonly a11y: MeetingA11y;
  private readonly social: SocialFeatures = new SocialFeatures({
    send: (message) => this.session?.sendControl(message),
    tileElement: (id) => (id === this.selfId ? this.self?.tile?.element : this.peers.get(id)?.tile.element) ?? null,
    setChatOpen: (open) => this.shell.setChatOpen(open),
  });
  /** Host powers and the waiting room (PROTOCOL.md §14). */
  private readonly host: HostFeatures = new HostFeatures({
    send: (message) => this.session?.sendControl(message),
    selfId: () => this.selfId,
    tileElement: (id) => this.peers.get(id)?.tile.element ?? null,
    toast: (message) => this.toasts.show(message),
    forceOff: (source) => {
      if (source === 'screen') this.publisher?.stopScreenShare();
      else if (source === 'mic' ? this.micOn : this.cameraOn) void (source === 'mic' ? this.self?.toggleMic() : this.self?.toggleCamera());
    },
    unmute: () => void (this.micOn || this.self?.toggleMic()),
  });

  constructor(
    private readonly root: HTMLElement,
    private readonly meetingId: string,
    private readonly navigate: Navigate,
  ) {
    // The shared link keeps an E2EE passphrase (#e2ee=..., never sent to the server) but never a
    // personal #token= invitation.
    const e2eeShare = new URLSearchParams(window.location.hash.replace(/^#/, '')).get('e2ee');
    const link = meetingLink(window.location.origin, meetingId) + (e2eeShare === null ? '' : `#e2ee=${encodeURIComponent(e2eeShare)}`);
    this.invite = new InviteCard(link, (message) => this.toasts.show(message));
    this.invite.setVisible(false);
    this.shell = new MeetingShell(meetingId, this.view.stage, this.panel, {
      toggleMic: () => this.self?.toggleMic(),
      toggleCamera: () => void this.self?.toggleCamera(),
      microphoneMenu: () => this.self?.microphoneMenu() ?? [],
      cameraMenu: () => this.self?.cameraMenu() ?? [],
      selectDevice: (kind, id) => this.self?.select(kind, id),
      leave: () => this.leave(),
      copyLink: () => void copyLink(link, (message) => this.toasts.show(message)),
      enableAudio: () => void this.audioOutput?.resume(),
      toggleScreenShare: () => void (this.publisher?.screenSharing ? this.publisher.stopScreenShare() : this.publisher?.startScreenShare()),
      stopScreenShare: () => this.publisher?.stopScreenShare(),
      toggleLayout: () => this.view.toggleMode(),
      showShortcuts: () => this.a11y.showHelp(),
    }, this.social);
    this.a11y = new MeetingA11y({
      toggleMic: () => (this.self?.hasMic ? (this.self.toggleMic(), this.micOn) : null),
      toggleCamera: async () => (this.self?.hasCamera ? (await this.self.toggleCamera(), this.cameraOn) : null),
      toggleHand: () => {
        const up = this.social.handPosition(this.selfId ?? -1) !== undefined;
        this.social.toggleHand();
        return up;
      },
      chatOpen: () => this.shell.chatOpen,
      setChatOpen: (open) => {
        this.shell.setChatOpen(open);
        requestAnimationFrame(() => this.view.stage.layout());
      },
      chatPanel: this.social.panel.element,
      chatButton: this.social.chatButton,
    });
    this.shell.element.append(this.toasts.element, this.a11y.live.element, this.host.dialogElement, this.quality.panel.element);
    this.shell.statusSlot.append(this.quality.indicator.element);
    this.shell.notices.append(this.host.waitingStrip, this.invite.element);
    this.shell.addControl(this.host.settingsButton);
    this.presence = new TabPresence(meetingId, (inCall) => this.prejoin?.setOtherTab(inCall));
  }

  enter(): void {
    resetStats();
    stats.meetingId = this.meetingId;
    const flags = urlFlags();
    // Simulcast: 720p capture and three encodings only where the CPU can afford them (?layers=N overrides).
    this.cameraLayers = flags.cameraLayers ?? cameraCapturePlan(navigator.hardwareConcurrency || 2).maxLayers;
    const size = this.cameraLayers >= 3 ? { width: 1280, height: 720 } : { width: 640, height: 360 };
    const options = { lowCpu: flags.lowCpu, camera: { ...size, frameRate: VIDEO.frameRate } };
    const token = takeTokenFromFragment();
    if (!token) return this.showPrejoin(options);
    // An invitation from the site's backend: learn name and grants first (no camera prompt for a
    // viewer), then the pre-join screen with them.
    this.showCentered(el('p', 'home-note', 'Checking your invitation…'));
    joinWithToken(this.meetingId, token).then(
      (join) => {
        if (this.finished) return;
        this.invitation = join;
        this.grants = grantsFromClaim(join.grants);
        this.showPrejoin(options, { name: join.display_name ?? '', grants: this.grants });
      },
      (error) => this.fail(error instanceof MeetingError ? error : new MeetingError('Could not join the meeting', String(error), 'client')),
    );
  }

  private showPrejoin(options: ConstructorParameters<typeof PrejoinPage>[1], invitation?: { name: string; grants: Grants }): void {
    this.prejoin = new PrejoinPage(
      this.meetingId,
      options,
      (result) => {
        this.prejoin = null;
        void this.join(result);
      },
      invitation,
    );
    this.root.replaceChildren(this.prejoin.element);
    this.prejoin.start();
  }

  dispose(): void {
    if (!this.finished) this.session?.leave();
    this.finished = true;
    this.prejoin?.dispose();
    this.prejoin = null;
    this.presence.close();
    this.teardown();
  }

  private async join({ name, media }: PrejoinResult): Promise<void> {
    this.displayName = name;
    stats.displayName = name;
    stats.connection = 'joining';
    stats.joinStartedAt = performance.now();
    this.presence.setInCall(true);
    this.audioOutput = new AudioOutput();
    this.audioOutput.setSpeaker(media.speakerId);
    this.self = new SelfMedia(media, {
      publisher: () => this.publisher,
      audioOutput: () => this.audioOutput,
      stateChanged: () => this.sendMediaState(),
      toast: (message) => this.toasts.show(message),
    });
    this.renderShell();
    const problems = [media.cameraOn ? null : media.cameraProblem, media.micProblem].filter((problem) => problem !== null);
    if (problems.length) this.shell.notices.append(warningStrip(problems.join(' ')));
    // What this browser cannot do stays in view during the call, not only on the pre-join screen.
    void browserCapabilities().then((report) => {
      const summary = problemSummary(report);
      if (!summary || this.finished) return;
      const strip = warningStrip(summary);
      strip.dataset.testid = 'browser-problems';
      this.shell.notices.append(strip);
    });
    // A participant that may publish nothing (a viewer) has no tile, here as for everyone else.
    if (publishesAnything(this.grants)) this.view.addSelf(this.self.createTile(name, () => this.view.togglePin('self')));
    this.applyGrants();
    this.watchAudioPolicy();
    this.updateControls();
    // The devices are open already (pre-join); Hello states what we send.
    const mediaReady = Promise.resolve({ micOn: media.micOn, cameraOn: media.cameraOn });
    const e2eeRequest = e2eeFromFragment(window.location.hash);
    const supported = await e2eeSupported();
    if (e2eeRequest && !supported) {
      this.fail(
        new MeetingError(
          'End-to-end encryption is not available',
          'This meeting link asks for end-to-end encryption, and this browser cannot do it (it lacks X25519 or AES-GCM in WebCrypto). Use a current Chrome, Edge or Firefox.',
          'e2ee',
        ),
      );
      return;
    }
    this.sentMediaState = JSON.stringify({ micOn: media.micOn, cameraOn: media.cameraOn });
    try {
      this.session = await MeetingSession.start(
        this.meetingId,
        name,
        mediaReady,
        {
          joined: (selfId, self, roster, resumed, via) => {
            stats.joins++;
            stats.resumed = resumed;
            stats.server = via.server;
            stats.transport = via.transport;
            if (this.session) stats.servers = [...this.session.knownServers];
            this.social.joined(selfId);
            for (const participant of self ? [self, ...roster] : roster) this.social.participant(participant);
            this.onJoined(selfId, self, roster);
            this.view.onJoined(); // subscriptions again after every (re)join
          },
          participantJoined: (participant) => {
            stats.rosterEvents.joined++;
            this.announceJoin(participant);
            this.social.participant(participant);
            this.addPeer(participant);
            this.publisher?.requestKeyframes(); // the newcomer can only start decoding at a keyframe
          },
          participantLeft: (id) => {
            stats.rosterEvents.left++;
            this.announceLeave(id);
            this.removePeer(id);
          },
          participantUpdated: (participant) => {
            stats.rosterEvents.updated++;
            const handWasUp = this.social.handPosition(toNumber(participant.participantId)) !== undefined;
            this.social.participant(participant);
            this.announceHand(participant, handWasUp);
            this.onUpdated(participant);
          },
          chat: (messages, live) => this.social.chat(messages, live),
          reaction: (id, emoji) => this.social.reaction(id, emoji),
          refused: (code, message, request) => {
            if (this.host.refused(code, message, request)) return;
            this.social.refused(code, message, request);
            // 4440-4442: a source our token does not grant (the controls should have prevented it).
            const denied = [NOT_ALLOWED.camera, NOT_ALLOWED.microphone, NOT_ALLOWED.screen][code - 4440];
            if (denied) this.toasts.show(`${denied}.`);
          },
          waiting: (settings) => this.showWaiting(settings?.locked ?? false),
          hostAction: (event) => this.host.hostAction(event),
          waitingList: (list) => this.host.waitingList(list),
          settings: (settings) => this.host.settings(settings),
          media: (header, payload) => {
            const id = toNumber(header.senderParticipantId);
            this.peers.get(id)?.handleMedia(header, payload);
            if (header.kind === MediaKind.AUDIO) this.view.noteAudioLevel(id, header.audioLevel);
          },
          activeSpeakers: (dominant) => this.view.onActiveSpeakers(dominant),
          keyframeRequested: (kind, trackId, spatialLayer) => this.publisher?.keyframeRequested(kind, trackId, spatialLayer),
          reconnecting: (_attempt, server) => {
            this.view.onDisconnected();
            stats.connection = 'connecting';
            stats.server = server;
            this.quality.reconnecting();
          },
          rtt: (ms) => {
            stats.rttMs = Math.round(ms);
          },
          failed: (error) => this.fail(error),
        },
        () => this.view.helloDefaults(),
        this.invitation ?? undefined,
        {
          ...(e2eeRequest?.passphrase ? { passphrase: e2eeRequest.passphrase } : {}),
          keyAgreement: e2eeRequest?.keyAgreement ?? false,
          supported,
          status: (status) => {
            stats.e2ee = status;
            this.shell.setE2ee(status.mode, status.safetyCode);
          },
        },
      );
    } catch (error) {
      if (this.finished) return;
      this.fail(error instanceof MeetingError ? error : new MeetingError('Could not join the meeting', String(error), 'client'));
      return;
    }
    if (this.finished) return this.session.leave();
    stats.transport = this.session.transportName;
    stats.server = this.session.serverUrl;
    stats.servers = [...this.session.knownServers];
    const session = this.session;
    window.__vcDebug = {
      dropTransport: () => session.simulateDrop(),
      sendCorruptVideoFrame: () => this.publisher?.sendCorruptVideoFrame(),
      keyframeRequest: (kind, trackId, spatialLayer) => this.publisher?.debugHooks().keyframeRequest(kind, trackId, spatialLayer),
      endScreenCaptureFromBrowser: () => this.publisher?.debugHooks().endScreenCaptureFromBrowser(),
      setGridPageSize: (tiles) => this.view.stage.setPageSizeOverride(tiles),
      e2ee: () => ({ ...stats.e2ee, ...(session.e2eeStats ?? {}) }),
    };
    stats.connection = 'connecting';
  }

  private onJoined(selfId: number, self: Participant | undefined, roster: Participant[]): void {
    const reconnected = this.selfId !== null;
    if (this.selfId !== null && this.selfId !== selfId) this.formerSelfIds.add(this.selfId);
    this.selfId = selfId;
    this.selfRole = self?.role ?? ParticipantRole.UNSPECIFIED;
    if (self) {
      this.grants = grantsFromParticipant(self);
      this.applyGrants();
    }
    this.host.setRole(this.selfRole);
    if (!this.root.contains(this.shell.element)) this.renderShell(); // admitted from the waiting room
    stats.selfId = selfId;
    stats.connection = 'connected';
    this.quality.joined();
    // After a reconnect, anyone missing from the roster left meanwhile, or is not yet known to the
    // server we moved to: their tile waits (reconnecting) for them to reappear.
    const present = new Set(
      roster.map((participant) => toNumber(participant.participantId)).filter((id) => !this.formerSelfIds.has(id)),
    );
    this.receivers.clear(); // the roster lists every receiver still here
    for (const id of [...this.peers.keys()]) {
      if (present.has(id)) continue;
      if (reconnected && !this.formerSelfIds.has(id)) this.holdPeer(id);
      else this.removePeer(id);
    }
    for (const participant of roster) {
      if (!present.has(toNumber(participant.participantId))) continue;
      this.addPeer(participant);
    }
    this.publisher ??= this.createPublisher(this.cameraLayers);
    this.publisher.onJoined();
    this.syncRoster();
  }

  private createPublisher(cameraLayers: number): Publisher {
    return new Publisher(
      this.session!,
      { video: this.self?.local.camera ?? null, audio: this.self?.local.microphone ?? null },
      {
        preferredCodec: urlFlags().codec,
        cameraFrameRate: VIDEO.frameRate,
        cameraMaxLayers: cameraLayers,
        keyframeIntervalMs: VIDEO.keyframeIntervalMs,
        onError: (message) => {
          stats.lastError = { code: 'media', message };
          console.error(message);
        },
        onScreenChange: (sharing) => {
          this.shell.screenShare.set(sharing, true);
          this.syncRoster();
        },
      },
    );
  }

  /** Adds a peer's tile, or updates the one it has (a peer never gets a second tile). */
  private addPeer(participant: Participant): void {
    const id = toNumber(participant.participantId);
    if (id === this.selfId || this.formerSelfIds.has(id)) return;
    if (participant.receiveOnly) {
      this.receivers.set(id, participant);
      this.syncRoster();
      return;
    }
    this.settled(id);
    const existing = this.peers.get(id);
    if (existing) {
      existing.update(participant);
      this.syncRoster();
      return;
    }
    const peer = new RemotePeer(participant, this.audioOutput, {
      requestKeyframe: (publisherId, trackId, kind) => this.session?.requestKeyframe(publisherId, kind, trackId),
      wantedHeight: (key) => this.view.wantedHeight(key),
      onPin: (key) => this.view.togglePin(key),
      onPressure: (key, height) => this.view.onPressure(key, height),
      screenAdded: (owner, video) => this.view.screenAdded(owner, video),
      screenRemoved: (video) => this.view.screenRemoved(video),
    });
    this.peers.set(id, peer);
    stats.peers[String(id)] = peer.stats;
    this.view.addPeer(peer);
    this.syncRoster();
  }

  /** Keeps a peer that the roster after our reconnect lacks, as reconnecting, for ROSTER_SETTLE_MS. */
  private holdPeer(id: number): void {
    const peer = this.peers.get(id);
    if (!peer || this.settling.has(id)) return;
    peer.markReconnecting();
    this.settling.set(
      id,
      window.setTimeout(() => {
        this.settling.delete(id);
        this.announceLeave(id);
        this.removePeer(id);
      }, ROSTER_SETTLE_MS),
    );
  }

  /** The server knows this peer again (or it left): no pending removal. */
  private settled(id: number): void {
    window.clearTimeout(this.settling.get(id));
    this.settling.delete(id);
  }

  private removePeer(id: number): void {
    this.settled(id);
    this.social.left(id);
    if (this.receivers.delete(id)) this.syncRoster();
    const peer = this.peers.get(id);
    if (!peer) return;
    this.view.removePeer(peer);
    peer.close();
    this.peers.delete(id);
    delete stats.peers[String(id)];
    this.syncRoster();
  }

  /** Someone new (not a peer coming back, not one of our own former identities). */
  private announceJoin(participant: Participant): void {
    const id = toNumber(participant.participantId);
    if (id === this.selfId || this.formerSelfIds.has(id) || this.peers.has(id) || this.receivers.has(id)) return;
    this.a11y.joined(participant.displayName);
  }

  private announceLeave(id: number): void {
    const name = this.peers.get(id)?.name ?? this.receivers.get(id)?.displayName;
    if (name !== undefined) this.a11y.left(name);
  }

  private announceHand(participant: Participant, wasUp: boolean): void {
    const id = toNumber(participant.participantId);
    if (id !== this.selfId && !wasUp && this.social.handPosition(id) !== undefined) this.a11y.handRaised(participant.displayName);
  }

  private onUpdated(participant: Participant): void {
    const id = toNumber(participant.participantId);
    if (id === this.selfId) {
      this.selfRole = participant.role;
      this.host.setRole(participant.role);
    } else if (this.peers.has(id)) {
      this.settled(id);
      this.peers.get(id)!.update(participant);
    } else if (this.receivers.has(id)) {
      this.receivers.set(id, participant);
    }
    this.syncRoster();
  }

  private syncRoster(): void {
    stats.roster = [...this.peers.values()].map((peer) => ({
      id: peer.id,
      name: peer.name,
      micOn: peer.micOn,
      cameraOn: peer.cameraOn,
      role: ParticipantRole[peer.role] ?? 'UNSPECIFIED',
      connection: ConnectionState[peer.connectionState] ?? 'UNSPECIFIED',
      videoLayers: peer.tracks.find((track) => track.source === TrackSource.CAMERA)?.layers.length ?? 0,
    }));
    this.panel.render([
      {
        id: this.selfId ?? 0,
        name: this.displayName,
        isSelf: true,
        isHost: this.selfRole === ParticipantRole.HOST,
        isCoHost: this.selfRole === ParticipantRole.CO_HOST,
        micOn: this.micOn,
        cameraOn: this.cameraOn,
        handPosition: this.social.handPosition(this.selfId ?? 0),
      },
      ...[...this.peers.values()].map((peer) => ({
        id: peer.id,
        name: peer.name,
        isSelf: false,
        isHost: peer.role === ParticipantRole.HOST,
        isCoHost: peer.role === ParticipantRole.CO_HOST,
        actions: this.host.moderates ? this.host.menuFor(this.menuTarget(peer)) : null,
        micOn: peer.micOn,
        cameraOn: peer.cameraOn,
        handPosition: this.social.handPosition(peer.id),
      })),
      ...[...this.receivers.values()].map((receiver) => ({
        id: toNumber(receiver.participantId),
        name: receiver.displayName,
        isSelf: false,
        isHost: receiver.role === ParticipantRole.HOST,
        micOn: false,
        cameraOn: false,
        receiveOnly: true,
        handPosition: this.social.handPosition(toNumber(receiver.participantId)),
      })),
    ]);
    this.social.paintTiles();
    this.host.paintTiles([...this.peers.values()].map((peer) => this.menuTarget(peer)));
    stats.receiveOnly = [...this.receivers.values()].map((r) => ({ id: toNumber(r.participantId), name: r.displayName }));
    this.shell.setReceiveOnly([...this.receivers.values()].map((r) => r.displayName));
    this.shell.setParticipantCount(this.peers.size + this.receivers.size + 1);
    this.quality.setPeers([...this.peers.values()]);
    // Alone (once in): the invite card with the link.
    this.invite.setVisible(this.selfId !== null && !this.finished && this.peers.size + this.receivers.size === 0);
  }

  /** MediaState only when it changed (device-list changes also come here). */
  private sendMediaState(): void {
    const state = { micOn: this.micOn, cameraOn: this.cameraOn };
    if (this.session && JSON.stringify(state) !== this.sentMediaState) {
      this.sentMediaState = JSON.stringify(state);
      this.session.setMediaState(state);
    }
    this.updateControls();
    this.syncRoster();
  }

  private leave(): void {
    this.session?.leave();
    this.finished = true;
    stats.connection = 'left';
    this.teardown();
    markLeft(this.meetingId); // Back, Forward and reload come back to the card, not into the call
    this.showCentered(leftCard(this.meetingId, this.navigate));
  }

  private menuTarget(peer: RemotePeer): MenuTarget {
    return { id: peer.id, name: peer.name, role: peer.role, micOn: peer.micOn, cameraOn: peer.cameraOn, screenOn: peer.screen !== null };
  }

  /** The waiting room: our own card instead of the meeting until a host admits us. */
  private showWaiting(locked: boolean): void {
    stats.connection = 'waiting';
    this.showCentered(waitingCard(this.meetingId, locked, () => this.leave()));
  }

  private fail(error: MeetingError): void {
    if (this.finished) return;
    this.finished = true;
    console.error(`${error.title}: ${error.message} (${error.code})`);
    stats.lastError = { code: error.code, message: `${error.title}: ${error.message}` };
    stats.connection = 'error';
    this.teardown();
    const description = describeError(error);
    const again = () => this.navigate(window.location.pathname + window.location.search, true);
    const home = { label: 'Back to home', primary: !description.retry, run: () => this.navigate('/' + window.location.search) };
    const retry = { label: description.retryLabel ?? 'Try again', primary: true, run: again };
    this.showCentered(errorCard(error, description.retry ? [retry, home] : [home]));
  }

  private teardown(): void {
    delete window.__vcDebug;
    this.host.dispose();
    this.quality.dispose();
    this.publisher?.stop();
    this.publisher = null;
    for (const timer of this.settling.values()) window.clearTimeout(timer);
    this.settling.clear();
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
    this.receivers.clear();
    this.self?.stop();
    this.self = null;
    this.presence.setInCall(false);
    this.audioOutput?.close();
    this.audioOutput = null;
    this.view.dispose();
    this.a11y.dispose();
  }

  private showCentered(content: HTMLElement): void {
    const page = el('main', 'home');
    page.append(content);
    this.root.replaceChildren(page);
  }

  private watchAudioPolicy(): void {
    const output = this.audioOutput!;
    const refresh = () => {
      this.shell.setAudioBlocked(output.blocked);
      stats.audioOutput = output.context.state;
    };
    output.context.addEventListener('statechange', refresh);
    refresh();
  }

  private renderShell(): void {
    this.root.replaceChildren(this.shell.element);
    this.a11y.attach();
    this.updateControls();
    this.syncRoster();
  }

  /** Greys out what our token does not allow, with a tooltip that says so. */
  private applyGrants(): void {
    this.shell.screenShare.deny(this.grants.screen ? undefined : NOT_ALLOWED.screen);
    this.social.setChatAllowed(this.grants.chat);
    this.updateControls();
  }

  private updateControls(): void {
    this.shell.setControls({
      micOn: this.micOn,
      cameraOn: this.cameraOn,
      hasMic: !!this.self?.hasMic,
      hasCamera: !!this.self?.hasCamera,
      micDenied: this.grants.microphone ? undefined : NOT_ALLOWED.microphone,
      cameraDenied: this.grants.camera ? undefined : NOT_ALLOWED.camera,
    });
    this.self?.tile?.setMicOn(this.micOn);
    this.self?.tile?.setCameraOn(this.cameraOn);
  }

  private get micOn(): boolean {
    return this.self?.micOn ?? false;
  }

  private get cameraOn(): boolean {
    return this.self?.cameraOn ?? false;
  }
}

/**
 * End-to-end encryption asked for by the meeting link's fragment, which never reaches the server:
 * `#e2ee=<passphrase>` (passphrase mode) or `#e2ee` (key agreement with a safety code).
 */
export function e2eeFromFragment(hash: string): { passphrase?: string; keyAgreement: boolean } | undefined {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  if (!params.has('e2ee')) return undefined;
  const passphrase = params.get('e2ee') ?? '';
  return passphrase ? { passphrase, keyAgreement: false } : { keyAgreement: true };
}
