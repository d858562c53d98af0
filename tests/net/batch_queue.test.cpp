#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "net/batch_queue.hpp"

using introvy::net::batch_queue;

TEST_CASE("a batch queue asks for one take per batch and keeps the order") {
  batch_queue<std::string> queue;
  CHECK(queue.push("a"));
  CHECK_FALSE(queue.push("b"));
  CHECK_FALSE(queue.push("c"));
  CHECK(queue.take_all() == std::vector<std::string>{"a", "b", "c"});
  CHECK(queue.take_all().empty());
  // Emptied: the next push starts a new batch.
  CHECK(queue.push("d"));
  CHECK(queue.take_all() == std::vector<std::string>{"d"});
}

TEST_CASE("pushes from several threads lose nothing and ask for a take "
          "exactly when a batch starts") {
  batch_queue<int> queue;
  constexpr int per_thread = 20000;
  std::atomic<int> starts{0};
  std::atomic<bool> done{false};
  std::vector<int> taken;
  std::thread taker([&] {
    while (!done.load()) {
      auto batch = queue.take_all();
      taken.insert(taken.end(), batch.begin(), batch.end());
    }
  });
  std::vector<std::thread> pushers;
  for (int t = 0; t < 3; ++t)
    pushers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i)
        if (queue.push(t * per_thread + i))
          starts.fetch_add(1);
    });
  for (auto& p : pushers)
    p.join();
  done = true;
  taker.join();
  auto rest = queue.take_all();
  taken.insert(taken.end(), rest.begin(), rest.end());
  CHECK(taken.size() == 3u * per_thread);
  std::sort(taken.begin(), taken.end());
  for (int i = 0; i < 3 * per_thread; ++i)
    REQUIRE(taken[static_cast<std::size_t>(i)] == i);
  CHECK(starts.load() >= 1);
}
