#include "parallel_for.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace pathwise {

void ParallelFor(int threads, size_t n, const std::function<void(size_t)>& body) {
  const size_t workers = std::min<size_t>(static_cast<size_t>(std::max(threads, 1)), n);
  if (workers <= 1) {
    for (size_t i = 0; i < n; ++i) body(i);
    return;
  }
  // Workers take the next index in turn, which balances very uneven bodies.
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) body(i);
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (size_t t = 1; t < workers; ++t) pool.emplace_back(work);
  work();
  for (std::thread& thread : pool) thread.join();
}

}  // namespace pathwise
