#include "net/h3/connect_policy.hpp"

#include <gtest/gtest.h>

namespace vc::h3 {
namespace {

RequestHeaders valid_request(std::string path) {
  RequestHeaders request;
  request.method = "CONNECT";
  request.protocol = "webtransport";
  request.scheme = "https";
  request.authority = "127.0.0.1:4433";
  request.path = std::move(path);
  request.origin = "http://127.0.0.1:8080";
  return request;
}

const auto kAcceptGood = [](std::string_view token) { return token == "good.token"; };

TEST(ConnectPolicy, AcceptsValidTokenAndReturnsIt) {
  const ConnectDecision decision =
      evaluate_connect(valid_request("/wt?token=good.token"), {}, kAcceptGood);
  EXPECT_EQ(decision.status, 200);
  EXPECT_EQ(decision.token, "good.token");
}

TEST(ConnectPolicy, StatusForEachFailure) {
  EXPECT_EQ(evaluate_connect(valid_request("/other?token=good.token"), {}, kAcceptGood).status,
            404);
  EXPECT_EQ(evaluate_connect(valid_request("/wt"), {}, kAcceptGood).status, 401);
  EXPECT_EQ(evaluate_connect(valid_request("/wt?token="), {}, kAcceptGood).status, 401);
  EXPECT_EQ(evaluate_connect(valid_request("/wt?token=bad"), {}, kAcceptGood).status, 401);
  ConnectPolicy strict;
  strict.allowed_origins = {"https://meet.example"};
  EXPECT_EQ(evaluate_connect(valid_request("/wt?token=good.token"), strict, kAcceptGood).status,
            403);
  RequestHeaders native = valid_request("/wt?token=good.token");
  native.origin.clear();  // not a browser: no Origin header, the token alone decides
  EXPECT_EQ(evaluate_connect(native, strict, kAcceptGood).status, 200);
  native.path = "/wt?token=bad";
  EXPECT_EQ(evaluate_connect(native, strict, kAcceptGood).status, 401);
  RequestHeaders get = valid_request("/wt?token=good.token");
  get.method = "GET";
  EXPECT_EQ(evaluate_connect(get, {}, kAcceptGood).status, 400);
  RequestHeaders websocket = valid_request("/wt?token=good.token");
  websocket.protocol = "websocket";
  EXPECT_EQ(evaluate_connect(websocket, {}, kAcceptGood).status, 400);
}

TEST(ConnectPolicy, TokenIsNotVerifiedForWrongPathOrOrigin) {
  int calls = 0;
  const auto counting = [&](std::string_view) {
    ++calls;
    return true;
  };
  ConnectPolicy strict;
  strict.allowed_origins = {"https://meet.example"};
  evaluate_connect(valid_request("/nope?token=x"), {}, counting);
  evaluate_connect(valid_request("/wt?token=x"), strict, counting);
  EXPECT_EQ(calls, 0);
}

TEST(QueryParameter, DecodesAndFindsAmongOthers) {
  EXPECT_EQ(query_parameter("/wt?a=1&token=ab%2Ecd&b=2", "token"), "ab.cd");
  EXPECT_EQ(query_parameter("/wt?tokenx=1", "token"), "");
  EXPECT_EQ(query_parameter("/wt?token=bad%4", "token"), "");
  EXPECT_EQ(query_parameter("/wt?token=x#frag", "token"), "x");
}

}  // namespace
}  // namespace vc::h3
