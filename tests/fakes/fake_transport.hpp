#pragma once
// Records requests and replays scripted responses: paging, retries, redirects and auth are
// tested without sockets.

#include "auditfetch/util/error.hpp"
#include "auditfetch/http/client.hpp"
#include "auditfetch/http/types.hpp"

#include <deque>
#include <functional>
#include <string>
#include <vector>

namespace auditfetch::test {

class FakeTransport final : public Transport {
public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // Answer the next request with this response (FIFO), or with a network error.
  void respond(int status, std::string body = {}, std::vector<Header> headers = {}) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    m_script.push_back([r](const HttpRequest&) { return r; });
  }
  void fail(std::string message) {
    m_script.push_back([message](const HttpRequest&) -> HttpResponse {
      throw Error(ErrorKind::remote, message);
    });
  }
  void handle(Handler handler) { m_script.push_back(std::move(handler)); }
  // Answer every request (after the script runs out) with this handler.
  void always(Handler handler) { m_fallback = std::move(handler); }

  HttpResponse send(const HttpRequest& request) override {
    requests.push_back(request);
    if (!m_script.empty()) {
      auto next = std::move(m_script.front());
      m_script.pop_front();
      return next(request);
    }
    if (m_fallback)
      return m_fallback(request);
    throw Error(ErrorKind::remote, "fake transport: no response scripted for " + request.url);
  }

  std::vector<HttpRequest> requests;

private:
  std::deque<Handler> m_script;
  Handler m_fallback;
};

class CapturingDiagnostics final : public Diagnostics {
public:
  void verbose(const std::string& line) override { verbose_lines.push_back(line); }
  void warning(const std::string& line) override { warnings.push_back(line); }
  bool is_verbose() const override { return true; }
  std::vector<std::string> verbose_lines;
  std::vector<std::string> warnings;
};

} // namespace auditfetch::test
