// Private to the core: a small deterministic parallel-for shared by fitting and simulation.
#ifndef PATHWISE_SRC_CORE_PARALLEL_FOR_H_
#define PATHWISE_SRC_CORE_PARALLEL_FOR_H_

#include <cstddef>
#include <functional>

namespace pathwise {

/// Calls body(i) for i in [0, n) on up to `threads` threads, taking indices in increasing order;
/// body must only write state owned by index i, so results do not depend on the thread count.
/// With threads <= 1 (or n <= 1) it runs on the calling thread.
void ParallelFor(int threads, size_t n, const std::function<void(size_t)>& body);

}  // namespace pathwise

#endif  // PATHWISE_SRC_CORE_PARALLEL_FOR_H_
