#include "format/writers.hpp"

#include <ctime>

namespace ctd {

namespace {
constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool localTime(int64_t sec, std::tm& tm)
{
    std::time_t t = static_cast<std::time_t>(sec);
    return ::localtime_r(&t, &tm) != nullptr && tm.tm_wday >= 0 && tm.tm_wday < 7 &&
           tm.tm_mon >= 0 && tm.tm_mon < 12;
}
} // namespace

void appendCtime(TextBuffer& out, int64_t sec)
{
    std::tm tm{};
    if (!localTime(sec, tm)) {
        // ctime() returns NULL here and conntrack would crash; the raw value is more useful.
        out.appendSigned(sec);
        return;
    }
    out.append(kDays[tm.tm_wday]);
    out.append(' ');
    out.append(kMonths[tm.tm_mon]);
    out.append(tm.tm_mday < 10 ? "  " : " ");
    out.appendSigned(tm.tm_mday);
    out.append(' ');
    out.appendDecimalPadded(static_cast<uint64_t>(tm.tm_hour), 2);
    out.append(':');
    out.appendDecimalPadded(static_cast<uint64_t>(tm.tm_min), 2);
    out.append(':');
    out.appendDecimalPadded(static_cast<uint64_t>(tm.tm_sec), 2);
    out.append(' ');
    out.appendSigned(static_cast<int64_t>(tm.tm_year) + 1900);
}

void appendXmlLocalTime(TextBuffer& out, int64_t sec)
{
    std::tm tm{};
    if (!localTime(sec, tm))
        return;
    out.append("<hour>");
    out.appendSigned(tm.tm_hour);
    out.append("</hour><min>");
    out.appendDecimalPadded(static_cast<uint64_t>(tm.tm_min), 2);
    out.append("</min><sec>");
    out.appendDecimalPadded(static_cast<uint64_t>(tm.tm_sec), 2);
    out.append("</sec><wday>");
    out.appendSigned(tm.tm_wday + 1);
    out.append("</wday><day>");
    out.appendSigned(tm.tm_mday);
    out.append("</day><month>");
    out.appendSigned(tm.tm_mon + 1);
    out.append("</month><year>");
    out.appendSigned(static_cast<int64_t>(tm.tm_year) + 1900);
    out.append("</year>");
}

} // namespace ctd
