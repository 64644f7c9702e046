// videocall-server entry point: configuration, data directory, store, token secret, then the
// relay loop on this thread until SIGINT/SIGTERM.
#include <sys/resource.h>
#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>

#include "common/limits.hpp"
#include "common/log.hpp"
#include "server/app/config.hpp"
#include "server/app/server.hpp"
#include "server/app/shutdown_watchdog.hpp"
#include "server/app/token_command.hpp"
#include "server/auth/room_token.hpp"
#include "server/bus/cluster_runtime.hpp"
#include "server/store/postgres_meeting_store.hpp"
#include "server/store/sqlite_meeting_store.hpp"
#include "server/webtransport/wt_server.hpp"

namespace {

namespace asio = boost::asio;

// Connections are file descriptors: use all the hard limit allows (the soft limit is often 1024).
void raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == limit.rlim_max) return;
  const rlim_t previous = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    VC_LOG_WARN("event=open_file_limit_unchanged soft={} error=\"{}\"", previous,
                std::strerror(errno));
    return;
  }
  VC_LOG_INFO("event=open_file_limit_raised from={} to={}", previous, limit.rlim_cur);
}

void prepare_data_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create data dir " + dir.string() + ": " + ec.message());
  // Holds the token secret and meeting metadata: owner only, also when it already existed.
  if (::chmod(dir.c_str(), 0700) != 0) {
    VC_LOG_WARN("event=data_dir_not_private dir=\"{}\" error=\"{}\"", dir.string(),
                std::strerror(errno));
  }
}

// WebTransport reaches the rest of the server through these hooks only (the join response, the
// shutdown, /metrics); they are unhooked before the WebTransport server goes away.
class WebTransportHooks {
 public:
  WebTransportHooks(vc::core::ServerContext& ctx, vc::webtransport::WebTransportServer* server)
      : ctx_(ctx) {
    if (server == nullptr) return;
    ctx.webtransport_info = [server](std::string_view host) { return server->join_info(host); };
    shutdown_hook_ = ctx.on_shutdown.size();
    ctx.on_shutdown.push_back([server] { server->on_shutdown(); });
    ctx.metric_sources["webtransport"] = [server](const vc::core::MetricWriter& metric) {
      server->write_metrics(metric);
    };
  }
  ~WebTransportHooks() {
    ctx_.webtransport_info = nullptr;
    ctx_.metric_sources.erase("webtransport");
    if (shutdown_hook_) ctx_.on_shutdown[*shutdown_hook_] = nullptr;
  }
  WebTransportHooks(const WebTransportHooks&) = delete;
  WebTransportHooks& operator=(const WebTransportHooks&) = delete;

 private:
  vc::core::ServerContext& ctx_;
  std::optional<std::size_t> shutdown_hook_;  // our entry in ctx.on_shutdown
};

int run(vc::core::ServerConfig config) {
  raise_open_file_limit();
  const std::filesystem::path data_dir = config.data_dir;
  prepare_data_dir(data_dir);
  const std::vector<uint8_t> secret = vc::auth::load_or_create_secret(
      config.token_secret_file.empty() ? (data_dir / "token_secret").string()
                                       : config.token_secret_file);
  vc::auth::RoomTokenService tokens(secret, std::chrono::seconds(config.token_lifetime_s),
                                    vc::app::load_api_keys(config.api_key_file, config.api_key));
  VC_LOG_INFO("event=auth api_keys={} guest_join={}", !tokens.api_keys().empty(),
              !config.no_guest_join);
  // Scale issue: PostgreSQL when several nodes share meeting state, else SQLite in the data dir.
  std::unique_ptr<vc::store::MeetingStore> store_owner;
  if (!config.database_url.empty()) {
    store_owner = std::make_unique<vc::store::PostgresMeetingStore>(config.database_url);
  } else {
    store_owner =
        std::make_unique<vc::store::SqliteMeetingStore>((data_dir / "videocall.db").string());
  }
  vc::store::MeetingStore& store = *store_owner;

  asio::io_context io(1);  // the relay thread: rooms and sessions need no locks
  asio::thread_pool store_pool(vc::limits::kStoreThreads);
  auto server = std::make_unique<vc::app::Server>(config, io, store_pool, store, tokens);
  // Scale issue: rooms span nodes over NATS with --nats-url (else an in-process local bus).
  vc::bus::ClusterRuntimeOptions bus_options;
  bus_options.nats.url = config.nats_url;
  bus_options.nats.creds_file = config.nats_creds_file;
  bus_options.nats.tls = config.nats_tls;
  bus_options.nats.tls_ca_file = config.nats_tls_ca_file;
  bus_options.auth_secret = secret;
  vc::bus::ClusterRuntime cluster(io, bus_options, [&server](const std::string& meeting_id) {
    return server->context().rooms.find(meeting_id);
  });
  server->context().rooms.set_observer(cluster.observer());
  if (cluster.clustered()) {
    server->context().query_remote_roster =
        [&cluster](const std::string& meeting_id,
                   std::function<void(const std::vector<vc::v1::Participant>&)> done) {
          return cluster.query_roster(
              meeting_id, [done = std::move(done)](std::vector<vc::room::RemoteMember> members) {
                std::vector<vc::v1::Participant> roster;
                roster.reserve(members.size());
                for (auto& member : members) roster.push_back(std::move(member.info));
                done(roster);
              });
        };
  }
  if (cluster.clustered()) {
    server->context().publish_stored_moderation =
        [&cluster](const std::string& meeting_id, const vc::v1::HostClusterEvent& event) {
          if (!cluster.publish_stored_moderation(meeting_id, event)) {
            VC_LOG_WARN("event=stored_moderation_not_published meeting=\"{}\"",
                        vc::log::escaped(meeting_id));
          }
        };
  }
  server->context().metric_sources["cluster"] = [&cluster](const vc::core::MetricWriter& metric) {
    cluster.write_metrics(metric);
  };
  const auto endpoint = server->start();
  const std::string url = server->base_url(endpoint);
  // WebTransport (HTTP/3 over QUIC on UDP, same port number unless --quic-port; --no-quic: off).
  std::unique_ptr<vc::webtransport::WebTransportServer> webtransport;
  if (!config.no_quic) {
    std::string error;
    webtransport = vc::webtransport::WebTransportServer::start(
        server->media_host(), server->context().config, endpoint.port(), error);
    if (!webtransport) {
      VC_LOG_ERROR("event=webtransport_error error=\"{}\"", vc::log::escaped(error));
      return 1;
    }
  }
  const WebTransportHooks webtransport_hooks(server->context(), webtransport.get());

  vc::app::ShutdownWatchdog watchdog(
      io, std::chrono::duration_cast<std::chrono::milliseconds>(vc::limits::kShutdownStuckAfter));
  asio::signal_set signals(io, SIGINT, SIGTERM);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        if (server->context().shutting_down) {
          VC_LOG_WARN("event=shutdown_abort signal={}", signal);
          std::_Exit(128 + signal);
        }
        VC_LOG_INFO("event=signal signal={}", signal);
        signals.async_wait(on_signal);  // a second signal forces the exit
        cluster.stop();  // goodbye: other nodes start our participants' grace at once
        server->shutdown([&] {
          signals.cancel();
          watchdog.arm();
        });
      };
  signals.async_wait(on_signal);

  VC_LOG_INFO("event=listening url={} web_root=\"{}\" data_dir=\"{}\" tls={}", url,
              vc::log::escaped(config.web_root), vc::log::escaped(config.data_dir), config.tls());
  std::printf("videocall-server listening on %s\n", url.c_str());
  std::fflush(stdout);

  // Returns once shutdown has closed everything. Every transport contains its handlers'
  // exceptions; one that still escapes is counted and the loop resumes (asio allows run() again),
  // so one bad input cannot end every call on the node.
  for (;;) {
    try {
      io.run();
      break;
    } catch (const std::exception& e) {
      vc::core::note_handler_exception(server->context(), "relay_loop", e.what());
    } catch (...) {
      vc::core::note_handler_exception(server->context(), "relay_loop", "non-standard exception");
    }
  }
  watchdog.disarm();
  if (watchdog.fired()) {
    // Handlers still queued on the stopped loop may refer to objects destroyed before the
    // io_context: end here, without destructors (every session was already closed).
    std::_Exit(0);
  }
  store_pool.join();
  VC_LOG_INFO("event=stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "token") {
    return vc::app::run_token_command(argc - 1, argv + 1);
  }
  auto parsed = vc::app::parse_config(argc, argv);
  if (auto* exit_code = std::get_if<int>(&parsed)) return *exit_code;
  auto& config = std::get<vc::core::ServerConfig>(parsed);
  std::signal(SIGPIPE, SIG_IGN);
  ::umask(077);  // the database, its WAL files and the secret are for this user only
  vc::log::init(config.log_level);
  try {
    return run(std::move(config));
  } catch (const std::exception& e) {
    VC_LOG_ERROR("event=fatal error=\"{}\"", vc::log::escaped(e.what()));
    return 1;
  }
}
