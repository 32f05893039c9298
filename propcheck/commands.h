// The state machine's commands (RapidCheck rc::state, doc/state.md) and
// one run of it: each command is a RapidCheck Command<Model, Sut> that
// updates the Model when generated and, when run, plays scenario steps on
// the Sut followed by the check step.
#pragma once

#include "propcheck/model.h"
#include "propcheck/sut.h"

namespace lvlab::propcheck {

// Generates a command sequence from `model` (up to about `max_commands`
// long), runs it on `sut`, then the liveness epilogue. Must be called
// inside a RapidCheck property.
void RunStateMachine(const Model& model, Sut& sut, int max_commands);

}  // namespace lvlab::propcheck
