// The result of a store operation: success, or a failure with a message that
// is safe to log (it never holds record contents).
#pragma once

#include <string>
#include <utility>

namespace introvy::storage {

class [[nodiscard]] status {
public:
  static status success() { return status{}; }
  static status failure(std::string message) {
    status s;
    s.ok_ = false;
    s.message_ = std::move(message);
    return s;
  }

  bool ok() const { return ok_; }
  const std::string& message() const { return message_; }

private:
  bool ok_ = true;
  std::string message_;
};

} // namespace introvy::storage
