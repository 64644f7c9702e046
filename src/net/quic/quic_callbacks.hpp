// The ngtcp2 callbacks of QuicConnection: they forward to the connection (ngtcp2's user_data) and
// its events. Internal to net/quic: quic_callbacks.cpp defines them, quic_connection.cpp installs
// them. Like that file, version-specific to ngtcp2 0.12 + GnuTLS.
#pragma once

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include <cstddef>
#include <cstdint>

#include "net/quic/quic_connection.hpp"

namespace vc::quic {

inline void random_bytes(uint8_t* out, std::size_t size) {
  (void)gnutls_rnd(GNUTLS_RND_RANDOM, out, size);
}

struct QuicConnection::Callbacks {
  // The table for a server or a client connection.
  static ngtcp2_callbacks make(bool server);
  static ngtcp2_conn* get_conn(ngtcp2_crypto_conn_ref* ref);
  // Client: accepts the server's certificate only if its SHA-256 is one of the pinned ones.
  static int verify_pinned_certificate(gnutls_session_t session);

 private:
  static QuicConnection& self(void* user_data);
  static int handshake_completed(ngtcp2_conn*, void* user_data);
  static int handshake_confirmed(ngtcp2_conn*, void* user_data);
  static int recv_stream_data(ngtcp2_conn* conn, uint32_t flags, int64_t stream_id, uint64_t,
                              const uint8_t* data, size_t size, void* user_data, void*);
  static int acked_stream_data_offset(ngtcp2_conn*, int64_t stream_id, uint64_t offset,
                                      uint64_t size, void* user_data, void*);
  static int stream_close(ngtcp2_conn* conn, uint32_t, int64_t stream_id, uint64_t, void* user_data,
                          void*);
  static int stream_reset(ngtcp2_conn*, int64_t stream_id, uint64_t, uint64_t error_code,
                          void* user_data, void*);
  static int stream_stop_sending(ngtcp2_conn*, int64_t stream_id, uint64_t error_code,
                                 void* user_data, void*);
  static int extend_max_stream_data(ngtcp2_conn*, int64_t stream_id, uint64_t, void* user_data,
                                    void*);
  static int recv_datagram(ngtcp2_conn*, uint32_t, const uint8_t* data, size_t size,
                           void* user_data);
  static void rand(uint8_t* out, size_t size, const ngtcp2_rand_ctx*);
  static int get_new_connection_id(ngtcp2_conn*, ngtcp2_cid* cid, uint8_t* token, size_t size,
                                   void* user_data);
  static int remove_connection_id(ngtcp2_conn*, const ngtcp2_cid* cid, void* user_data);
};

}  // namespace vc::quic
