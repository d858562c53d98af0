#include "actors/state_writer.hpp"

#include <caf/all.hpp>
#include <vector>

#include "actors/logger.hpp"
#include "actors/messages.hpp"

namespace introvy::actors {
namespace {

struct writer_state {
  static inline const char* name = "state_writer";
  std::vector<storage::store::candidate_outcome> outcomes;
  std::vector<caf::response_promise> promises;
  bool flush_scheduled = false;
};

using writer_actor = caf::stateful_actor<writer_state>;

void flush(writer_actor* self, storage::store& store) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.outcomes.empty())
    return;
  auto written = store.save_outcomes(st.outcomes);
  if (!written.ok())
    logger()->error("candidate outcomes not saved ({} events stay in the "
                    "inbox): {}",
                    st.outcomes.size(), written.message());
  for (auto& promise : st.promises) {
    if (written.ok())
      promise.deliver(caf::unit);
    else
      promise.deliver(
          caf::make_error(caf::sec::runtime_error, written.message()));
  }
  st.outcomes.clear();
  st.promises.clear();
}

caf::behavior state_writer(writer_actor* self, storage::store* store) {
  return {
      [self](save_atom, storage::store::candidate_outcome& outcome) {
        auto& st = self->state;
        st.outcomes.push_back(std::move(outcome));
        st.promises.push_back(self->make_response_promise());
        if (!st.flush_scheduled) {
          st.flush_scheduled = true;
          self->send(self, flush_atom::value);
        }
      },
      [self, store](flush_atom) { flush(self, *store); },
  };
}

} // namespace

caf::actor spawn_state_writer(caf::actor_system& system,
                              storage::store& store) {
  return system.spawn<caf::detached>(state_writer, &store);
}

} // namespace introvy::actors
