// Builds against the installed package only: proves find_package(pathwise) and the public headers
// work.
#include <iostream>

#include <pathwise/bkt.h>
#include <pathwise/version.h>

int main() {
  pathwise::BktParams params;
  if (!params.Validate().ok()) return 1;
  const double p = pathwise::UpdateMastery(params, 0.1, 1.0);
  std::cout << "pathwise " << PATHWISE_VERSION_STRING << ": P(L) after a correct answer " << p
            << "\n";
  return p > 0.1 ? 0 : 1;
}
