// ngtcp2 0.12 + GnuTLS adapter. Everything version-specific about ngtcp2 lives in this file and in
// quic_callbacks.cpp (the callback table).
#include "net/quic/quic_connection.hpp"

#include <arpa/inet.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "common/limits.hpp"
#include "net/quic/quic_callbacks.hpp"
#include "net/quic/stateless.hpp"

namespace vc::quic {

namespace {

constexpr const char* kTlsPriority =
    "%DISABLE_TLS13_COMPAT_MODE:NORMAL:-VERS-ALL:+VERS-TLS1.3:"
    "-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305";

ngtcp2_path make_path(const SocketAddress& local, const SocketAddress& remote) {
  ngtcp2_path path{};
  path.local.addr = const_cast<sockaddr*>(local.get());
  path.local.addrlen = local.size;
  path.remote.addr = const_cast<sockaddr*>(remote.get());
  path.remote.addrlen = remote.size;
  return path;
}

SocketAddress from_ngtcp2(const ngtcp2_addr& addr) {
  SocketAddress out;
  out.size = static_cast<socklen_t>(std::min<std::size_t>(addr.addrlen, sizeof(out.storage)));
  std::memcpy(&out.storage, addr.addr, out.size);
  return out;
}

void log_to_stderr(void*, const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::vfprintf(stderr, format, args);
  va_end(args);
  std::fputc('\n', stderr);
}

}  // namespace

Timestamp monotonic_now() {
  return static_cast<Timestamp>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::steady_clock::now().time_since_epoch())
                                    .count());
}

ConnectionId ConnectionId::from(ByteView data) {
  ConnectionId id;
  id.size = static_cast<uint8_t>(std::min(data.size(), kMaxConnectionIdBytes));
  if (id.size > 0) std::memcpy(id.bytes, data.data(), id.size);  // data() may be null when empty
  return id;
}

std::size_t ConnectionIdHash::operator()(const ConnectionId& id) const {
  // FNV-1a: ids are random, any mixing function will do.
  uint64_t hash = 1469598103934665603ull;
  for (uint8_t i = 0; i < id.size; ++i) hash = (hash ^ id.bytes[i]) * 1099511628211ull;
  return static_cast<std::size_t>(hash);
}

bool SocketAddress::operator==(const SocketAddress& other) const {
  return size == other.size && std::memcmp(&storage, &other.storage, size) == 0;
}

std::string SocketAddress::to_string() const {
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (storage.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&storage);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    port = ntohs(in->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  if (storage.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&storage);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    port = ntohs(in6->sin6_port);
  }
  return "[" + std::string(host) + "]:" + std::to_string(port);
}

PacketKind inspect_packet(ByteView packet, ConnectionId& dcid, ConnectionId& scid) {
  ngtcp2_version_cid info{};
  const int rv =
      ngtcp2_pkt_decode_version_cid(&info, packet.data(), packet.size(), kServerConnectionIdBytes);
  if (rv == NGTCP2_ERR_VERSION_NEGOTIATION) {
    dcid = ConnectionId::from({info.dcid, info.dcidlen});
    scid = ConnectionId::from({info.scid, info.scidlen});
    return PacketKind::kVersionNegotiation;
  }
  if (rv != 0) return PacketKind::kInvalid;
  dcid = ConnectionId::from({info.dcid, info.dcidlen});
  scid = ConnectionId::from({info.scid, info.scidlen});
  return PacketKind::kRoutable;
}

std::size_t write_version_negotiation(std::span<uint8_t> out, const ConnectionId& dcid,
                                      const ConnectionId& scid) {
  const uint32_t versions[] = {NGTCP2_PROTO_VER_V1};
  uint8_t unused = 0;
  random_bytes(&unused, 1);
  // The reply swaps the ids: its DCID is the client's SCID.
  const ngtcp2_ssize written = ngtcp2_pkt_write_version_negotiation(
      out.data(), out.size(), unused, scid.bytes, scid.size, dcid.bytes, dcid.size, versions, 1);
  return written > 0 ? static_cast<std::size_t>(written) : 0;
}

struct QuicConnection::ConnRef {
  ngtcp2_crypto_conn_ref ref;
};

namespace {

void fill_settings(ngtcp2_settings& settings, const TransportConfig& config, Timestamp now) {
  ngtcp2_settings_default(&settings);
  settings.initial_ts = now;
  settings.max_tx_udp_payload_size = config.max_udp_payload;
  settings.handshake_timeout = config.handshake_timeout_ms * NGTCP2_MILLISECONDS;
  settings.max_window = config.connection_receive_window;
  settings.max_stream_window = config.stream_receive_window;
  if (config.log_to_stderr) settings.log_printf = log_to_stderr;
}

void fill_params(ngtcp2_transport_params& params, const TransportConfig& config) {
  ngtcp2_transport_params_default(&params);
  params.initial_max_stream_data_bidi_local = config.stream_receive_window;
  params.initial_max_stream_data_bidi_remote = config.stream_receive_window;
  params.initial_max_stream_data_uni = config.stream_receive_window;
  params.initial_max_data = config.connection_receive_window;
  params.initial_max_streams_bidi = config.max_streams_bidi;
  params.initial_max_streams_uni = config.max_streams_uni;
  params.max_idle_timeout = config.idle_timeout_ms * NGTCP2_MILLISECONDS;
  params.max_datagram_frame_size = config.max_datagram_frame_size;
  params.active_connection_id_limit = 4;
}

}  // namespace

QuicConnection::QuicConnection(const TransportConfig& config, const SocketAddress& local,
                               const SocketAddress& remote)
    : config_(config), local_(local), remote_(remote) {}

QuicConnection::~QuicConnection() {
  if (conn_ != nullptr) ngtcp2_conn_del(conn_);
  if (tls_ != nullptr) gnutls_deinit(tls_);
}

std::unique_ptr<QuicConnection> QuicConnection::accept(
    ByteView first_packet, const SocketAddress& local, const SocketAddress& remote,
    TlsCredentials credentials, const TransportConfig& config, ConnectionIdListener& ids,
    Timestamp now, const StatelessKeys* keys, const ConnectionId* retried_from) {
  ngtcp2_pkt_hd header;
  if (ngtcp2_accept(&header, first_packet.data(), first_packet.size()) != 0) return nullptr;
  std::unique_ptr<QuicConnection> connection(new QuicConnection(config, local, remote));
  connection->is_server_ = true;
  connection->ids_ = &ids;
  connection->keys_ = keys;

  ngtcp2_cid scid;
  scid.datalen = kServerConnectionIdBytes;
  random_bytes(scid.data, scid.datalen);
  const ngtcp2_callbacks callbacks = Callbacks::make(/*server=*/true);
  ngtcp2_settings settings;
  fill_settings(settings, config, now);
  ngtcp2_transport_params params;
  fill_params(params, config);
  if (retried_from != nullptr) {
    // The Retry's source id is what the client now sends to; the original id came in the token.
    params.original_dcid.datalen = retried_from->size;
    std::memcpy(params.original_dcid.data, retried_from->bytes, retried_from->size);
    params.retry_scid = header.dcid;
    params.retry_scid_present = 1;
    settings.token = header.token;
  } else {
    params.original_dcid = header.dcid;
  }
  params.stateless_reset_token_present = 1;
  connection->fill_reset_token(ConnectionId::from({scid.data, scid.datalen}),
                               params.stateless_reset_token);
  const ngtcp2_path path = make_path(local, remote);
  if (ngtcp2_conn_server_new(&connection->conn_, &header.scid, &scid, &path, header.version,
                             &callbacks, &settings, &params, nullptr, connection.get()) != 0) {
    connection->conn_ = nullptr;
    return nullptr;
  }
  if (!connection->init_tls(/*server=*/true, std::move(credentials), {})) return nullptr;
  ids.on_connection_id_added(ConnectionId::from({scid.data, scid.datalen}));
  ids.on_connection_id_added(ConnectionId::from({header.dcid.data, header.dcid.datalen}));
  return connection;
}

std::unique_ptr<QuicConnection> QuicConnection::connect(
    const SocketAddress& local, const SocketAddress& remote, std::string server_name,
    std::vector<std::vector<uint8_t>> pinned_sha256, const TransportConfig& config, Timestamp now) {
  std::unique_ptr<QuicConnection> connection(new QuicConnection(config, local, remote));
  connection->is_server_ = false;
  connection->pinned_sha256_ = std::move(pinned_sha256);
  ngtcp2_cid dcid;
  ngtcp2_cid scid;
  dcid.datalen = kServerConnectionIdBytes;
  scid.datalen = kServerConnectionIdBytes;
  random_bytes(dcid.data, dcid.datalen);
  random_bytes(scid.data, scid.datalen);
  const ngtcp2_callbacks callbacks = Callbacks::make(/*server=*/false);
  ngtcp2_settings settings;
  fill_settings(settings, config, now);
  ngtcp2_transport_params params;
  fill_params(params, config);
  const ngtcp2_path path = make_path(local, remote);
  if (ngtcp2_conn_client_new(&connection->conn_, &dcid, &scid, &path, NGTCP2_PROTO_VER_V1,
                             &callbacks, &settings, &params, nullptr, connection.get()) != 0) {
    connection->conn_ = nullptr;
    return nullptr;
  }
  gnutls_certificate_credentials_t client_credentials = nullptr;
  if (gnutls_certificate_allocate_credentials(&client_credentials) != 0) return nullptr;
  TlsCredentials shared(client_credentials, gnutls_certificate_free_credentials);
  if (!connection->init_tls(/*server=*/false, std::move(shared), server_name)) return nullptr;
  return connection;
}

bool QuicConnection::init_tls(bool server, TlsCredentials credentials,
                              const std::string& server_name) {
  credentials_ = std::move(credentials);
  const unsigned flags =
      server ? GNUTLS_SERVER | GNUTLS_ENABLE_EARLY_DATA | GNUTLS_NO_AUTO_SEND_TICKET |
                   GNUTLS_NO_END_OF_EARLY_DATA
             : GNUTLS_CLIENT | GNUTLS_ENABLE_EARLY_DATA | GNUTLS_NO_END_OF_EARLY_DATA;
  if (gnutls_init(&tls_, flags) != 0) {
    tls_ = nullptr;
    return false;
  }
  if (gnutls_priority_set_direct(tls_, kTlsPriority, nullptr) != 0) return false;
  const int configured = server ? ngtcp2_crypto_gnutls_configure_server_session(tls_)
                                : ngtcp2_crypto_gnutls_configure_client_session(tls_);
  if (configured != 0) return false;
  conn_ref_ = std::make_unique<ConnRef>();
  conn_ref_->ref.get_conn = Callbacks::get_conn;
  conn_ref_->ref.user_data = this;
  gnutls_session_set_ptr(tls_, &conn_ref_->ref);
  if (gnutls_credentials_set(tls_, GNUTLS_CRD_CERTIFICATE, credentials_.get()) != 0) return false;
  gnutls_datum_t alpn{reinterpret_cast<unsigned char*>(const_cast<char*>("h3")), 2};
  const unsigned alpn_flags = server ? GNUTLS_ALPN_MANDATORY | GNUTLS_ALPN_SERVER_PRECEDENCE : 0;
  if (gnutls_alpn_set_protocols(tls_, &alpn, 1, alpn_flags) != 0) return false;
  if (!server) {
    if (!server_name.empty()) {
      gnutls_server_name_set(tls_, GNUTLS_NAME_DNS, server_name.data(), server_name.size());
    }
    gnutls_session_set_verify_function(tls_, Callbacks::verify_pinned_certificate);
  }
  ngtcp2_conn_set_tls_native_handle(conn_, tls_);
  return true;
}

void QuicConnection::read_packet(const SocketAddress& local, const SocketAddress& remote,
                                 ByteView packet, Timestamp now) {
  ++stats_.packets_in;
  stats_.bytes_in += packet.size();
  if (state_ == ConnectionState::kClosing) {
    resend_close_ = true;  // the peer has not seen our CONNECTION_CLOSE yet
    return;
  }
  if (state_ == ConnectionState::kDraining || state_ == ConnectionState::kClosed) return;
  const ngtcp2_path path = make_path(local, remote);
  ngtcp2_pkt_info info{};
  const int rv = ngtcp2_conn_read_pkt(conn_, &path, &info, packet.data(), packet.size(), now);
  if (rv == 0) return;
  if (rv == NGTCP2_ERR_DRAINING) {
    state_ = ConnectionState::kDraining;
    forget_at_ = now + 3 * ngtcp2_conn_get_pto(conn_);
    close_reason_ = "closed by peer";
    return;
  }
  if (rv == NGTCP2_ERR_DROP_CONN || rv == NGTCP2_ERR_RETRY) {
    state_ = ConnectionState::kClosed;
    close_reason_ = ngtcp2_strerror(rv);
    return;
  }
  if (rv == NGTCP2_ERR_CRYPTO) close_tls_alert_ = ngtcp2_conn_get_tls_alert(conn_);
  fail_with_liberr(rv, now);
}

void QuicConnection::fail_with_liberr(int liberr, Timestamp) {
  if (close_requested_) return;
  close_requested_ = true;
  close_is_transport_error_ = true;
  close_liberr_ = liberr;
  close_reason_ = ngtcp2_strerror(liberr);
}

void QuicConnection::close(uint64_t application_error, std::string_view reason) {
  if (close_requested_ || state_ == ConnectionState::kClosing ||
      state_ == ConnectionState::kDraining || state_ == ConnectionState::kClosed) {
    return;
  }
  close_requested_ = true;
  close_error_ = application_error;
  close_reason_.assign(reason.substr(0, 256));
}

void QuicConnection::enter_closing(Timestamp now) {
  ngtcp2_connection_close_error error;
  ngtcp2_connection_close_error_default(&error);
  const auto* reason = reinterpret_cast<const uint8_t*>(close_reason_.data());
  if (!close_is_transport_error_) {
    ngtcp2_connection_close_error_set_application_error(&error, close_error_, reason,
                                                        close_reason_.size());
  } else if (close_tls_alert_ != 0) {
    ngtcp2_connection_close_error_set_transport_error_tls_alert(&error, close_tls_alert_, nullptr,
                                                                0);
  } else {
    ngtcp2_connection_close_error_set_transport_error_liberr(&error, close_liberr_, nullptr, 0);
  }
  close_packet_.resize(config_.max_udp_payload);
  ngtcp2_path_storage path;
  ngtcp2_path_storage_zero(&path);
  ngtcp2_pkt_info info{};
  const ngtcp2_ssize written = ngtcp2_conn_write_connection_close(
      conn_, &path.path, &info, close_packet_.data(), close_packet_.size(), &error, now);
  if (written <= 0) {
    close_packet_.clear();
    state_ = ConnectionState::kClosed;
    return;
  }
  close_packet_.resize(static_cast<std::size_t>(written));
  state_ = ConnectionState::kClosing;
  forget_at_ = now + 3 * ngtcp2_conn_get_pto(conn_);
  resend_close_ = true;
}

void QuicConnection::write_close_packet(PacketSink& sink) {
  if (close_packet_.empty()) return;
  const std::span<uint8_t> buffer = sink.reserve(close_packet_.size());
  if (buffer.size() < close_packet_.size()) return;
  std::memcpy(buffer.data(), close_packet_.data(), close_packet_.size());
  sink.commit(remote_, close_packet_.size());
  ++stats_.packets_out;
  stats_.bytes_out += close_packet_.size();
}

void QuicConnection::write_packets(PacketSink& sink, Timestamp now) {
  if (state_ == ConnectionState::kDraining || state_ == ConnectionState::kClosed) return;
  if (state_ != ConnectionState::kClosing && close_requested_) enter_closing(now);
  if (state_ == ConnectionState::kClosing) {
    if (resend_close_) write_close_packet(sink);
    resend_close_ = false;
    return;
  }
  const std::size_t max_packet = ngtcp2_conn_get_path_max_tx_udp_payload_size(conn_);
  const std::size_t quantum_packets = std::clamp<std::size_t>(
      ngtcp2_conn_get_send_quantum(conn_) / max_packet, 2, limits::kQuicMaxPacketsPerWrite);
  ngtcp2_path_storage path;
  ngtcp2_path_storage_zero(&path);
  ngtcp2_pkt_info info{};
  std::span<uint8_t> buffer;
  std::size_t packets = 0;
  // Every iteration either writes a packet, finishes one, or marks a stream blocked/shut, so the
  // guard only matters if ngtcp2 misbehaves.
  for (std::size_t guard = 0;
       packets < quantum_packets && guard < 16 * limits::kQuicMaxPacketsPerWrite; ++guard) {
    if (buffer.empty()) {
      buffer = sink.reserve(max_packet);
      if (buffer.size() < max_packet) break;
    }
    if (!datagrams_.empty() && state_ == ConnectionState::kActive) {
      QueuedDatagram& datagram = datagrams_.front();
      const auto payload = datagram.payload->bytes();
      ngtcp2_vec vectors[2] = {{datagram.prefix, datagram.prefix_size},
                               {const_cast<uint8_t*>(payload.data()), payload.size()}};
      int accepted = 0;
      const ngtcp2_ssize written = ngtcp2_conn_writev_datagram(
          conn_, &path.path, &info, buffer.data(), max_packet, &accepted,
          NGTCP2_WRITE_DATAGRAM_FLAG_NONE, 0, vectors, 2, now);
      if (written < 0) {
        if (written == NGTCP2_ERR_INVALID_ARGUMENT) {  // does not fit any more (path shrank)
          ++stats_.datagrams_dropped;
          datagrams_.pop_front();
          continue;
        }
        fail_with_liberr(static_cast<int>(written), now);
        return write_packets(sink, now);
      }
      if (accepted != 0) {
        ++stats_.datagrams_out;
        datagrams_.pop_front();
      }
      if (written == 0) break;  // congestion limited
      sink.commit(from_ngtcp2(path.path.remote), static_cast<std::size_t>(written));
      ++stats_.packets_out;
      stats_.bytes_out += static_cast<uint64_t>(written);
      buffer = {};
      ++packets;
      continue;
    }
    int64_t stream_id = -1;
    SendStream* stream = send_streams_.pick(stream_id);
    ngtcp2_vec vectors[limits::kQuicMaxVectorsPerPacket];
    std::size_t vector_count = 0;
    uint32_t flags = NGTCP2_WRITE_STREAM_FLAG_MORE;
    uint64_t offered = 0;
    if (stream != nullptr) {
      vector_count = stream->unsent_vectors(vectors, limits::kQuicMaxVectorsPerPacket);
      for (std::size_t i = 0; i < vector_count; ++i) offered += vectors[i].len;
      if (stream->fin_requested() && offered == stream->unsent_bytes()) {
        flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
      }
    }
    ngtcp2_ssize accepted = -1;
    const ngtcp2_ssize written =
        ngtcp2_conn_writev_stream(conn_, &path.path, &info, buffer.data(), max_packet, &accepted,
                                  flags, stream_id, vectors, vector_count, now);
    // Streams may have been closed by callbacks inside writev: look ours up again.
    SendStream* current = stream_id >= 0 ? send_streams_.find(stream_id) : nullptr;
    if (current != nullptr && accepted >= 0) {
      current->mark_sent(static_cast<std::size_t>(accepted));
      if ((flags & NGTCP2_WRITE_STREAM_FLAG_FIN) && static_cast<uint64_t>(accepted) == offered) {
        current->mark_fin_sent();
      }
    }
    if (written < 0) {
      if (written == NGTCP2_ERR_WRITE_MORE) {
        if (accepted <= 0 && current != nullptr) current->blocked = true;  // no progress: skip it
        continue;
      }
      if (written == NGTCP2_ERR_STREAM_DATA_BLOCKED) {
        if (current != nullptr) current->blocked = true;
        continue;
      }
      if (written == NGTCP2_ERR_STREAM_SHUT_WR || written == NGTCP2_ERR_STREAM_NOT_FOUND) {
        if (current != nullptr) current->shut = true;
        continue;
      }
      fail_with_liberr(static_cast<int>(written), now);
      return write_packets(sink, now);
    }
    if (written == 0) break;  // nothing more to send, or congestion/pacing limited
    sink.commit(from_ngtcp2(path.path.remote), static_cast<std::size_t>(written));
    ++stats_.packets_out;
    stats_.bytes_out += static_cast<uint64_t>(written);
    buffer = {};
    ++packets;
  }
  ngtcp2_conn_update_pkt_tx_time(conn_, now);
}

Timestamp QuicConnection::next_timer() const {
  switch (state_) {
    case ConnectionState::kClosed:
      return 0;
    case ConnectionState::kClosing:
    case ConnectionState::kDraining:
      return forget_at_;
    default:
      return close_requested_ ? 0 : ngtcp2_conn_get_expiry(conn_);
  }
}

void QuicConnection::handle_timer(Timestamp now) {
  if (state_ == ConnectionState::kClosing || state_ == ConnectionState::kDraining) {
    if (now >= forget_at_) state_ = ConnectionState::kClosed;
    return;
  }
  if (state_ == ConnectionState::kClosed || close_requested_) return;
  if (ngtcp2_conn_get_expiry(conn_) > now) return;
  const int rv = ngtcp2_conn_handle_expiry(conn_, now);
  if (rv == 0) return;
  if (rv == NGTCP2_ERR_IDLE_CLOSE) {
    state_ = ConnectionState::kClosed;
    close_reason_ = "idle timeout";
    return;
  }
  fail_with_liberr(rv, now);
}

bool QuicConnection::closed_for_good(Timestamp now) const {
  if (state_ == ConnectionState::kClosed) return true;
  return (state_ == ConnectionState::kClosing || state_ == ConnectionState::kDraining) &&
         now >= forget_at_;
}

int64_t QuicConnection::open_stream(bool bidirectional, uint8_t priority) {
  if (state_ != ConnectionState::kActive || close_requested_) return -1;
  int64_t stream_id = -1;
  const int rv = bidirectional ? ngtcp2_conn_open_bidi_stream(conn_, &stream_id, nullptr)
                               : ngtcp2_conn_open_uni_stream(conn_, &stream_id, nullptr);
  if (rv != 0) return -1;
  send_streams_.set_priority(stream_id, priority);
  return stream_id;
}

bool QuicConnection::write_stream(int64_t stream_id, ByteView bytes, bool fin) {
  if (close_requested_ || state_ != ConnectionState::kActive) return false;
  SendStream& stream = send_streams_.get(stream_id);  // peer-initiated bidi streams appear here
  if (stream.shut || stream.fin_requested()) return false;
  stream.append_copy(bytes);
  if (fin) stream.request_fin();
  return true;
}

bool QuicConnection::write_record(int64_t stream_id, ByteView prefix, FrameRef frame) {
  if (close_requested_ || state_ != ConnectionState::kActive) return false;
  SendStream* stream = send_streams_.find(stream_id);
  if (stream == nullptr || stream->shut || stream->fin_requested()) return false;
  stream->append(prefix, std::move(frame));
  return true;
}

uint64_t QuicConnection::stream_unsent_bytes(int64_t stream_id) const {
  const SendStream* stream = send_streams_.find(stream_id);
  return stream == nullptr ? 0 : stream->unsent_bytes();
}

uint64_t QuicConnection::stream_buffered_bytes(int64_t stream_id) const {
  const SendStream* stream = send_streams_.find(stream_id);
  return stream == nullptr ? 0 : stream->buffered_bytes();
}

void QuicConnection::set_stream_priority(int64_t stream_id, uint8_t priority) {
  send_streams_.set_priority(stream_id, priority);
}

void QuicConnection::stop_sending(int64_t stream_id, uint64_t error_code) {
  if (state_ == ConnectionState::kActive) {
    ngtcp2_conn_shutdown_stream_read(conn_, stream_id, error_code);
  }
}

void QuicConnection::reset_stream(int64_t stream_id, uint64_t error_code) {
  if (SendStream* stream = send_streams_.find(stream_id)) stream->shut = true;
  if (state_ == ConnectionState::kActive) {
    ngtcp2_conn_shutdown_stream_write(conn_, stream_id, error_code);
  }
}

std::optional<uint64_t> QuicConnection::peer_close_error() const {
  if (state_ != ConnectionState::kDraining && state_ != ConnectionState::kClosed) {
    return std::nullopt;
  }
  ngtcp2_connection_close_error error;
  ngtcp2_connection_close_error_default(&error);
  ngtcp2_conn_get_connection_close_error(conn_, &error);
  return error.error_code;
}

bool QuicConnection::peer_accepts_datagrams() const {
  const ngtcp2_transport_params* params = ngtcp2_conn_get_remote_transport_params(conn_);
  return params != nullptr && params->max_datagram_frame_size > 0;
}

std::size_t QuicConnection::max_datagram_payload() const {
  const ngtcp2_transport_params* params = ngtcp2_conn_get_remote_transport_params(conn_);
  if (params == nullptr || params->max_datagram_frame_size == 0) return 0;
  // Short header (1 + CID + 4-byte packet number), AEAD tag (16), DATAGRAM frame type + length.
  constexpr std::size_t kOverhead = 1 + kMaxConnectionIdBytes + 4 + 16 + 1 + 2;
  const std::size_t path_limit = NGTCP2_MAX_UDP_PAYLOAD_SIZE - kOverhead;  // safe before PMTUD
  const std::size_t frame_limit =
      params->max_datagram_frame_size > 3
          ? static_cast<std::size_t>(params->max_datagram_frame_size) - 3
          : 0;
  return std::min(path_limit, frame_limit);
}

bool QuicConnection::send_datagram(ByteView prefix, FrameRef payload) {
  if (state_ != ConnectionState::kActive || close_requested_ || !payload ||
      prefix.size() > sizeof(QueuedDatagram::prefix) ||
      prefix.size() + payload->size() > max_datagram_payload()) {
    return false;
  }
  if (datagrams_.size() >= config_.max_queued_datagrams) {
    datagrams_.pop_front();  // unreliable by nature: the oldest is the least useful
    ++stats_.datagrams_dropped;
  }
  QueuedDatagram& datagram = datagrams_.emplace_back();
  std::memcpy(datagram.prefix, prefix.data(), prefix.size());
  datagram.prefix_size = static_cast<uint8_t>(prefix.size());
  datagram.payload = std::move(payload);
  return true;
}

bool QuicConnection::send_datagram_copy(ByteView prefix, ByteView payload) {
  FrameRef copy = Frame::allocate(payload.size(), FrameMeta{});
  if (!payload.empty()) {
    std::memcpy(copy.mutable_frame()->mutable_bytes().data(), payload.data(), payload.size());
  }
  return send_datagram(prefix, std::move(copy));
}

void QuicConnection::fill_reset_token(const ConnectionId& id, uint8_t* token) const {
  uint8_t derived[kStatelessResetTokenBytes];
  if (keys_ != nullptr && keys_->reset_token(id, derived)) {
    std::memcpy(token, derived, sizeof(derived));
  } else {
    random_bytes(token, NGTCP2_STATELESS_RESET_TOKENLEN);
  }
}

void QuicConnection::on_acked(int64_t stream_id, uint64_t offset, uint64_t size) {
  SendStream* stream = send_streams_.find(stream_id);
  if (stream == nullptr) return;
  stream->acknowledge_until(offset + size);
  if (events_) events_->on_stream_writable(stream_id);
}

}  // namespace vc::quic
