// The bus's decoded format words onto core's FormatOptions: the same words conntrack's -o
// takes, so this is a plain one-to-one mapping (decodeFormat already rejected the rest).
#pragma once

#include "query_args.hpp"

#include "format/formatter.hpp"

namespace ctd::dbus {

inline FormatOptions toFormatOptions(const OutputFormat& f)
{
    FormatOptions o;
    switch (f.base) {
    case OutputFormat::Base::None:
    case OutputFormat::Base::Plain: o.kind = OutputKind::Default; break;
    case OutputFormat::Base::Extended:
        o.kind = OutputKind::Default;
        o.extended = true;
        break;
    case OutputFormat::Base::Xml: o.kind = OutputKind::Xml; break;
    case OutputFormat::Base::Save: o.kind = OutputKind::Save; break;
    case OutputFormat::Base::Json: o.kind = OutputKind::Json; break;
    }
    o.id = f.id;
    o.timestamp = f.timestamp;
    o.ktimestamp = f.ktimestamp;
    o.labels = f.labels;
    o.userspace = f.userspace;
    return o;
}

} // namespace ctd::dbus
