#include "server/bus/nats_bus.hpp"

#include <nats/nats.h>

#include <boost/asio/post.hpp>

#include "common/log.hpp"

namespace vc::bus {

namespace detail {

struct NatsInbox {
  boost::asio::io_context* io = nullptr;
  std::size_t max_bytes = 0;
  std::size_t max_messages = 0;

  std::mutex mutex;  // guards everything below
  std::deque<natsMsg*> messages;
  std::size_t bytes = 0;
  bool drain_posted = false;
  bool gap = false;  // control was dropped since the last drain
  bool closed = false;
  BusHandler* handler = nullptr;

  std::atomic<bool> connected{false};
  std::atomic<uint64_t> received{0};
  std::atomic<uint64_t> dropped_media{0};
  std::atomic<uint64_t> dropped_control{0};
  std::atomic<uint64_t> reconnects{0};

  ~NatsInbox() {
    for (natsMsg* msg : messages) natsMsg_Destroy(msg);
  }
};

}  // namespace detail

namespace {

using detail::NatsInbox;
using InboxHolder = std::shared_ptr<NatsInbox>;

constexpr std::size_t kDrainBatch = 256;

bool is_media_subject(const char* subject) {
  const std::string_view s(subject);
  return s.size() >= 6 && s.substr(s.size() - 6) == ".media";
}

void drain(const std::shared_ptr<NatsInbox>& inbox);

void post_drain(const std::shared_ptr<NatsInbox>& inbox) {
  boost::asio::post(*inbox->io, [inbox] { drain(inbox); });
}

// On the io_context: hands up to one batch to the handler, then yields to other work.
void drain(const std::shared_ptr<NatsInbox>& inbox) {
  natsMsg* batch[kDrainBatch];
  std::size_t count = 0;
  bool gap = false;
  BusHandler* handler = nullptr;
  {
    std::lock_guard lock(inbox->mutex);
    while (count < kDrainBatch && !inbox->messages.empty()) {
      natsMsg* msg = inbox->messages.front();
      inbox->messages.pop_front();
      inbox->bytes -= static_cast<std::size_t>(natsMsg_GetDataLength(msg));
      batch[count++] = msg;
    }
    gap = std::exchange(inbox->gap, false);
    handler = inbox->closed ? nullptr : inbox->handler;
    if (inbox->messages.empty()) inbox->drain_posted = false;
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (handler != nullptr) {
      const auto* data = reinterpret_cast<const uint8_t*>(natsMsg_GetData(batch[i]));
      const auto size = static_cast<std::size_t>(natsMsg_GetDataLength(batch[i]));
      handler->on_bus_message(natsMsg_GetSubject(batch[i]), {data, size});
    }
    natsMsg_Destroy(batch[i]);
  }
  if (gap && handler != nullptr) handler->on_bus_gap();
  std::lock_guard lock(inbox->mutex);
  if (inbox->drain_posted && !inbox->messages.empty()) post_drain(inbox);
}

void post_state(const std::shared_ptr<NatsInbox>& inbox, bool connected) {
  inbox->connected = connected;
  // libnats reports state from its own threads, also after the connection was closed and
  // destroyed: once the bus is gone (closed, set under the mutex) nothing is posted, because the
  // io_context may be gone too. Posting under the mutex closes the gap between check and post.
  std::lock_guard guard(inbox->mutex);
  if (inbox->closed) return;
  boost::asio::post(*inbox->io, [inbox, connected] {
    BusHandler* handler = nullptr;
    {
      std::lock_guard lock(inbox->mutex);
      handler = inbox->closed ? nullptr : inbox->handler;
    }
    if (handler != nullptr) handler->on_bus_state(connected);
  });
}

// --- libnats callbacks: on libnats threads. The closure is an InboxHolder*. ---

void on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  const InboxHolder& inbox = *static_cast<InboxHolder*>(closure);
  const auto size = static_cast<std::size_t>(natsMsg_GetDataLength(msg));
  const bool media = is_media_subject(natsMsg_GetSubject(msg));
  // Control may use twice the media budget: it is small and losing it costs a resync.
  const std::size_t factor = media ? 1 : 2;
  {
    std::lock_guard lock(inbox->mutex);
    if (inbox->closed || inbox->bytes + size > factor * inbox->max_bytes ||
        inbox->messages.size() >= factor * inbox->max_messages) {
      if (media) {
        ++inbox->dropped_media;
      } else {
        ++inbox->dropped_control;
        inbox->gap = true;
      }
      natsMsg_Destroy(msg);
      return;
    }
    inbox->messages.push_back(msg);
    inbox->bytes += size;
    ++inbox->received;
    // Posted under the mutex: ~NatsBus sets `closed` under it, so no post can follow it.
    if (!std::exchange(inbox->drain_posted, true)) post_drain(inbox);
  }
}

void on_connected(natsConnection*, void* closure) {
  VC_LOG_INFO("event=nats_connected");
  post_state(*static_cast<InboxHolder*>(closure), true);
}

void on_disconnected(natsConnection*, void* closure) {
  VC_LOG_WARN("event=nats_disconnected");
  post_state(*static_cast<InboxHolder*>(closure), false);
}

void on_reconnected(natsConnection*, void* closure) {
  VC_LOG_INFO("event=nats_reconnected");
  const InboxHolder& inbox = *static_cast<InboxHolder*>(closure);
  ++inbox->reconnects;
  post_state(inbox, true);
}

void release_holder(void* closure) {
  delete static_cast<InboxHolder*>(closure);
}

void on_closed(natsConnection*, void* closure) {
  // The last callback libnats makes for this connection: release its reference.
  release_holder(closure);
}

void on_error(natsConnection*, natsSubscription*, natsStatus status, void*) {
  VC_LOG_WARN("event=nats_error status={}", natsStatus_GetText(status));
}

}  // namespace

std::unique_ptr<NatsBus> NatsBus::create(boost::asio::io_context& io, const NatsBusConfig& config,
                                         std::string& error) {
  std::unique_ptr<NatsBus> bus(new NatsBus());
  bus->inbox_ = std::make_shared<NatsInbox>();
  bus->inbox_->io = &io;
  bus->inbox_->max_bytes = config.inbox_bytes;
  bus->inbox_->max_messages = config.inbox_messages;

  natsOptions* options = nullptr;
  auto* holder = new InboxHolder(bus->inbox_);
  natsStatus s = natsOptions_Create(&options);
  if (s == NATS_OK) s = natsOptions_SetURL(options, config.url.c_str());
  if (s == NATS_OK) s = natsOptions_SetName(options, config.name.c_str());
  const bool tls = config.tls || !config.tls_ca_file.empty() || config.url.starts_with("tls://") ||
                   config.url.find(",tls://") != std::string::npos;
  if (s == NATS_OK && tls) s = natsOptions_SetSecure(options, true);
  if (s == NATS_OK && !config.tls_ca_file.empty()) {
    s = natsOptions_LoadCATrustedCertificates(options, config.tls_ca_file.c_str());
  }
  if (s == NATS_OK && !config.creds_file.empty()) {
    s = natsOptions_SetUserCredentialsFromFiles(options, config.creds_file.c_str(), nullptr);
  }
  // Never deliver our own publications back to us.
  if (s == NATS_OK) s = natsOptions_SetNoEcho(options, true);
  // One shared delivery thread pool instead of a thread per subscription (one per room).
  if (s == NATS_OK) s = natsOptions_UseGlobalMessageDelivery(options, true);
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(options, true);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(options, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(options, config.reconnect_wait.count());
  if (s == NATS_OK) s = natsOptions_SetReconnectJitter(options, 100, 1000);
  // Stale media is worthless after an outage: keep only a small reconnect buffer.
  if (s == NATS_OK) s = natsOptions_SetReconnectBufSize(options, 256 * 1024);
  if (s == NATS_OK) s = natsOptions_SetPingInterval(options, config.ping_interval.count());
  if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(options, 2);
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(options, on_disconnected, holder);
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(options, on_reconnected, holder);
  if (s == NATS_OK) s = natsOptions_SetClosedCB(options, on_closed, holder);
  if (s == NATS_OK) s = natsOptions_SetErrorHandler(options, on_error, holder);
  if (s == NATS_OK) s = natsOptions_SetRetryOnFailedConnect(options, true, on_connected, holder);
  if (s == NATS_OK) {
    s = natsConnection_Connect(&bus->connection_, options);
    if (s == NATS_OK) {
      bus->inbox_->connected = true;
    } else if (s == NATS_NOT_YET_CONNECTED) {
      VC_LOG_WARN("event=nats_connect_pending url=\"{}\" retrying=forever",
                  log::escaped(log::redact_url_credentials(config.url)));
      s = NATS_OK;
    }
  }
  natsOptions_Destroy(options);
  if (s != NATS_OK) {
    error = std::string("NATS: ") + natsStatus_GetText(s) + " (" +
            log::redact_url_credentials(config.url) + ")";
    if (bus->connection_ == nullptr) delete holder;  // no connection: no closed callback
    return nullptr;
  }
  return bus;
}

NatsBus::~NatsBus() {
  {
    std::lock_guard lock(inbox_->mutex);
    inbox_->closed = true;
    inbox_->handler = nullptr;
  }
  for (auto& [id, subscription] : subscriptions_) {
    natsSubscription_Unsubscribe(subscription);
    natsSubscription_Destroy(subscription);
  }
  if (connection_ != nullptr) {
    natsConnection_Close(connection_);
    natsConnection_Destroy(connection_);
  }
}

void NatsBus::set_handler(BusHandler* handler) {
  std::lock_guard lock(inbox_->mutex);
  inbox_->handler = handler;
}

bool NatsBus::publish(const std::string& subject, std::span<const uint8_t> data) {
  if (!inbox_->connected) {
    ++publish_failed_;
    return false;
  }
  const natsStatus s = natsConnection_Publish(connection_, subject.c_str(), data.data(),
                                              static_cast<int>(data.size()));
  if (s != NATS_OK) {
    ++publish_failed_;
    return false;
  }
  ++published_;
  return true;
}

SubscriptionId NatsBus::subscribe(const std::string& subject) {
  natsSubscription* subscription = nullptr;
  // Each subscription holds its own inbox reference, released once its last callback has run.
  auto* holder = new InboxHolder(inbox_);
  const natsStatus s =
      natsConnection_Subscribe(&subscription, connection_, subject.c_str(), on_message, holder);
  if (s != NATS_OK) {
    delete holder;
    VC_LOG_WARN("event=nats_subscribe_failed subject={} status={}", subject, natsStatus_GetText(s));
    return 0;
  }
  natsSubscription_SetOnCompleteCB(subscription, release_holder, holder);
  // libnats' own pending limit only has to absorb bursts until on_message has moved them.
  natsSubscription_SetPendingLimits(subscription, 65536, 64 * 1024 * 1024);
  const SubscriptionId id = next_id_++;
  subscriptions_.emplace(id, subscription);
  return id;
}

void NatsBus::unsubscribe(SubscriptionId id) {
  auto it = subscriptions_.find(id);
  if (it == subscriptions_.end()) return;
  natsSubscription_Unsubscribe(it->second);
  natsSubscription_Destroy(it->second);
  subscriptions_.erase(it);
}

bool NatsBus::connected() const {
  return inbox_->connected;
}

BusStats NatsBus::stats() const {
  BusStats stats;
  stats.published = published_;
  stats.publish_failed = publish_failed_;
  stats.received = inbox_->received;
  stats.dropped_media = inbox_->dropped_media;
  stats.dropped_control = inbox_->dropped_control;
  stats.reconnects = inbox_->reconnects;
  return stats;
}

}  // namespace vc::bus
