// SHA-1, as xAPI identifies learners by mbox_sha1sum.
#ifndef PATHWISE_IO_SHA1_H_
#define PATHWISE_IO_SHA1_H_

#include <string>
#include <string_view>

namespace pathwise {

/// Hex SHA-1 (FIPS 180-4) of `data`, lower case: the xAPI mbox_sha1sum of "mailto:...".
std::string Sha1Hex(std::string_view data);

}  // namespace pathwise

#endif  // PATHWISE_IO_SHA1_H_
