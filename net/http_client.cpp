#include "net/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <mutex>
#include <openssl/ssl.h>

namespace introvy::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// Runs one asynchronous step to completion on `io`, so that the stream's
// deadline applies to it (Beast's synchronous calls ignore deadlines).
template <class Start>
beast::error_code run_step(asio::io_context& io, Start&& start) {
  beast::error_code result = asio::error::would_block;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  io.restart();
  io.run();
  return result;
}

http_client_errc classify(beast::error_code ec, http_client_errc otherwise) {
  return ec == beast::error::timeout ? http_client_errc::timeout : otherwise;
}

} // namespace

struct http_client::impl {
  http_client_options options;
  ssl::context tls{ssl::context::tls_client};

  // One exchange over an already connected stream (plain or TLS).
  template <class Stream>
  http_client_result exchange(asio::io_context& io, Stream& stream,
                              beast::tcp_stream& tcp, const http_url& url,
                              const http_client_request& request);

  http_client_result send(const http_client_request& request);
};

template <class Stream>
http_client_result
http_client::impl::exchange(asio::io_context& io, Stream& stream,
                            beast::tcp_stream& tcp, const http_url& url,
                            const http_client_request& request) {
  // Build the request.
  http::request<http::string_body> message;
  message.method_string(request.method);
  message.target(url.target);
  message.version(11);
  message.set(http::field::host, url.host + ":" + url.port);
  message.set(http::field::user_agent, options.user_agent);
  for (const auto& [name, value] : request.headers)
    message.set(name, value);
  message.body() = request.body;
  message.keep_alive(false);
  message.prepare_payload();

  // Write it and read the whole answer within one deadline.
  tcp.expires_after(options.exchange_timeout);
  auto ec = run_step(
      io, [&](auto handler) { http::async_write(stream, message, handler); });
  if (ec)
    return http_client_failure(classify(ec, http_client_errc::io_failed),
                               "write: " + ec.message());
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(options.max_response_bytes);
  ec = run_step(io, [&](auto handler) {
    http::async_read(stream, buffer, parser, handler);
  });
  if (ec)
    return http_client_failure(classify(ec, http_client_errc::io_failed),
                               "read: " + ec.message());

  // Copy it out of Beast's types.
  auto answer = parser.release();
  http_client_result result;
  result.response.emplace();
  result.response->status = answer.result_int();
  for (const auto& field : answer)
    result.response->headers.emplace_back(std::string{field.name_string()},
                                          std::string{field.value()});
  result.response->body = std::move(answer.body());
  return result;
}

http_client_result http_client::impl::send(const http_client_request& request) {
  auto url = parse_http_url(request.url);
  if (!url)
    return http_client_failure(http_client_errc::invalid_url,
                               "cannot parse the URL");

  // Resolve and connect.
  asio::io_context io;
  tcp::resolver resolver{io};
  beast::error_code ec;
  auto addresses = resolver.resolve(url->host, url->port, ec);
  if (ec)
    return http_client_failure(http_client_errc::resolve_failed, ec.message());
  beast::tcp_stream tcp{io};
  tcp.expires_after(options.connect_timeout);
  ec = run_step(io,
                [&](auto handler) { tcp.async_connect(addresses, handler); });
  if (ec)
    return http_client_failure(classify(ec, http_client_errc::connect_failed),
                               "connect: " + ec.message());
  if (!url->tls)
    return exchange(io, tcp, tcp, *url, request);

  // TLS: name the server (SNI), check its certificate's name, shake hands.
  beast::ssl_stream<beast::tcp_stream> stream{std::move(tcp), tls};
  SSL_set_tlsext_host_name(stream.native_handle(), url->host.c_str());
  if (options.verify_peer)
    stream.set_verify_callback(ssl::host_name_verification(url->host));
  ec = run_step(io, [&](auto handler) {
    stream.async_handshake(ssl::stream_base::client, handler);
  });
  if (ec)
    return http_client_failure(classify(ec, http_client_errc::tls_failed),
                               "handshake: " + ec.message());
  return exchange(io, stream, stream.next_layer(), *url, request);
}

http_client::http_client(http_client_options options)
    : impl_(std::make_unique<impl>()) {
  impl_->options = std::move(options);
  auto& tls = impl_->tls;
  tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                  ssl::context::no_tlsv1_1);
  if (!impl_->options.verify_peer) {
    tls.set_verify_mode(ssl::verify_none);
    return;
  }
  tls.set_verify_mode(ssl::verify_peer);
  beast::error_code ec;
  if (impl_->options.ca_file.empty())
    tls.set_default_verify_paths(ec);
  else
    tls.load_verify_file(impl_->options.ca_file, ec);
  if (ec)
    throw std::runtime_error("cannot load CA certificates " +
                             impl_->options.ca_file + ": " + ec.message());
}

http_client::~http_client() = default;

http_client_result http_client::send(const http_client_request& request) {
  return impl_->send(request);
}

} // namespace introvy::net
