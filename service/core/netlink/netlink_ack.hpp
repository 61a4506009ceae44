// Decodes NLMSG_ERROR / NLMSG_DONE into a Result, carrying the kernel's extended-ack
// text (NLMSGERR_ATTR_MSG) and the offset of the attribute it blames.
#pragma once

#include "bytes.hpp"
#include "result.hpp"

namespace ctd::nl {

// message is one whole NLMSG_ERROR message. Ok for an ACK (error 0).
Result<void> ackResult(ByteView message);

// The errno (positive) in an NLMSG_DONE payload, 0 when the dump ended cleanly.
Result<void> doneResult(ByteView message);

} // namespace ctd::nl
