// ngtcp2 callbacks of QuicConnection (quic_callbacks.hpp).
#include "net/quic/quic_callbacks.hpp"

namespace vc::quic {

QuicConnection& QuicConnection::Callbacks::self(void* user_data) {
  return *static_cast<QuicConnection*>(user_data);
}

ngtcp2_conn* QuicConnection::Callbacks::get_conn(ngtcp2_crypto_conn_ref* ref) {
  return static_cast<QuicConnection*>(ref->user_data)->conn_;
}

int QuicConnection::Callbacks::handshake_completed(ngtcp2_conn*, void* user_data) {
  QuicConnection& connection = self(user_data);
  if (connection.state_ == ConnectionState::kHandshaking) {
    connection.state_ = ConnectionState::kActive;
  }
  if (connection.events_) connection.events_->on_handshake_completed();
  return 0;
}

int QuicConnection::Callbacks::handshake_confirmed(ngtcp2_conn*, void* user_data) {
  self(user_data).handshake_confirmed_ = true;
  return 0;
}

int QuicConnection::Callbacks::recv_stream_data(ngtcp2_conn* conn, uint32_t flags,
                                                int64_t stream_id, uint64_t, const uint8_t* data,
                                                size_t size, void* user_data, void*) {
  QuicConnection& connection = self(user_data);
  if (connection.events_) {
    connection.events_->on_stream_data(stream_id, {data, size},
                                       (flags & NGTCP2_STREAM_DATA_FLAG_FIN) != 0);
  }
  // The application consumed the bytes (it buffers what it needs, bounded): return the credit.
  if (!connection.config_.withhold_stream_credit) {
    ngtcp2_conn_extend_max_stream_offset(conn, stream_id, size);
  }
  ngtcp2_conn_extend_max_offset(conn, size);
  return 0;
}

int QuicConnection::Callbacks::acked_stream_data_offset(ngtcp2_conn*, int64_t stream_id,
                                                        uint64_t offset, uint64_t size,
                                                        void* user_data, void*) {
  self(user_data).on_acked(stream_id, offset, size);
  return 0;
}

int QuicConnection::Callbacks::stream_close(ngtcp2_conn* conn, uint32_t, int64_t stream_id,
                                            uint64_t, void* user_data, void*) {
  QuicConnection& connection = self(user_data);
  connection.send_streams_.erase(stream_id);
  if (!ngtcp2_conn_is_local_stream(conn, stream_id)) {
    // Give the peer its stream credit back.
    if ((stream_id & 2) != 0) {
      ngtcp2_conn_extend_max_streams_uni(conn, 1);
    } else {
      ngtcp2_conn_extend_max_streams_bidi(conn, 1);
    }
  }
  if (connection.events_) connection.events_->on_stream_closed(stream_id);
  return 0;
}

int QuicConnection::Callbacks::stream_reset(ngtcp2_conn*, int64_t stream_id, uint64_t,
                                            uint64_t error_code, void* user_data, void*) {
  QuicConnection& connection = self(user_data);
  if (connection.events_) connection.events_->on_stream_reset(stream_id, error_code);
  return 0;
}

int QuicConnection::Callbacks::stream_stop_sending(ngtcp2_conn*, int64_t stream_id,
                                                   uint64_t error_code, void* user_data, void*) {
  QuicConnection& connection = self(user_data);
  if (SendStream* stream = connection.send_streams_.find(stream_id)) stream->shut = true;
  if (connection.events_) connection.events_->on_stream_stop_sending(stream_id, error_code);
  return 0;
}

int QuicConnection::Callbacks::extend_max_stream_data(ngtcp2_conn*, int64_t stream_id, uint64_t,
                                                      void* user_data, void*) {
  QuicConnection& connection = self(user_data);
  if (SendStream* stream = connection.send_streams_.find(stream_id)) stream->blocked = false;
  return 0;
}

int QuicConnection::Callbacks::recv_datagram(ngtcp2_conn*, uint32_t, const uint8_t* data,
                                             size_t size, void* user_data) {
  QuicConnection& connection = self(user_data);
  ++connection.stats_.datagrams_in;
  if (connection.events_) connection.events_->on_datagram({data, size});
  return 0;
}

void QuicConnection::Callbacks::rand(uint8_t* out, size_t size, const ngtcp2_rand_ctx*) {
  random_bytes(out, size);
}

int QuicConnection::Callbacks::get_new_connection_id(ngtcp2_conn*, ngtcp2_cid* cid, uint8_t* token,
                                                     size_t size, void* user_data) {
  random_bytes(cid->data, size);
  cid->datalen = size;
  QuicConnection& connection = self(user_data);
  connection.fill_reset_token(ConnectionId::from({cid->data, size}), token);
  if (connection.ids_)
    connection.ids_->on_connection_id_added(ConnectionId::from({cid->data, size}));
  return 0;
}

int QuicConnection::Callbacks::remove_connection_id(ngtcp2_conn*, const ngtcp2_cid* cid,
                                                    void* user_data) {
  QuicConnection& connection = self(user_data);
  if (connection.ids_) {
    connection.ids_->on_connection_id_removed(ConnectionId::from({cid->data, cid->datalen}));
  }
  return 0;
}

// Client: accept the server certificate only if its SHA-256 is pinned.

int QuicConnection::Callbacks::verify_pinned_certificate(gnutls_session_t session) {
  auto* ref = static_cast<ngtcp2_crypto_conn_ref*>(gnutls_session_get_ptr(session));
  QuicConnection& connection = *static_cast<QuicConnection*>(ref->user_data);
  unsigned int count = 0;
  const gnutls_datum_t* chain = gnutls_certificate_get_peers(session, &count);
  if (chain == nullptr || count == 0) return GNUTLS_E_CERTIFICATE_ERROR;
  std::vector<uint8_t> digest(32);
  if (gnutls_hash_fast(GNUTLS_DIG_SHA256, chain[0].data, chain[0].size, digest.data()) != 0) {
    return GNUTLS_E_CERTIFICATE_ERROR;
  }
  for (const auto& pinned : connection.pinned_sha256_) {
    if (pinned == digest) return 0;
  }
  return GNUTLS_E_CERTIFICATE_ERROR;
}

ngtcp2_callbacks QuicConnection::Callbacks::make(bool server) {
  ngtcp2_callbacks callbacks{};
  if (server) {
    callbacks.recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
  } else {
    callbacks.client_initial = ngtcp2_crypto_client_initial_cb;
    callbacks.recv_retry = ngtcp2_crypto_recv_retry_cb;
  }
  callbacks.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
  callbacks.encrypt = ngtcp2_crypto_encrypt_cb;
  callbacks.decrypt = ngtcp2_crypto_decrypt_cb;
  callbacks.hp_mask = ngtcp2_crypto_hp_mask_cb;
  callbacks.update_key = ngtcp2_crypto_update_key_cb;
  callbacks.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
  callbacks.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
  callbacks.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
  callbacks.version_negotiation = ngtcp2_crypto_version_negotiation_cb;
  callbacks.handshake_completed = handshake_completed;
  callbacks.handshake_confirmed = handshake_confirmed;
  callbacks.recv_stream_data = recv_stream_data;
  callbacks.acked_stream_data_offset = acked_stream_data_offset;
  callbacks.stream_close = stream_close;
  callbacks.stream_reset = stream_reset;
  callbacks.stream_stop_sending = stream_stop_sending;
  callbacks.extend_max_stream_data = extend_max_stream_data;
  callbacks.recv_datagram = recv_datagram;
  callbacks.rand = rand;
  callbacks.get_new_connection_id = get_new_connection_id;
  callbacks.remove_connection_id = remove_connection_id;
  return callbacks;
}

}  // namespace vc::quic
