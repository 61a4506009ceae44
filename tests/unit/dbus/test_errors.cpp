#include "errors.hpp"

#include <gtest/gtest.h>

#include <cerrno>

using namespace ctd::dbus;

TEST(Errors, TableMapsErrnoToNames)
{
    EXPECT_STREQ(errorNameFor(EINVAL), "org.netfilter.Conntrack1.Error.InvalidArgument");
    EXPECT_STREQ(errorNameFor(ENOENT), "org.netfilter.Conntrack1.Error.NotFound");
    EXPECT_STREQ(errorNameFor(EEXIST), "org.netfilter.Conntrack1.Error.Exists");
    EXPECT_STREQ(errorNameFor(EBUSY), "org.netfilter.Conntrack1.Error.Busy");
    EXPECT_STREQ(errorNameFor(ENOTCONN), "org.netfilter.Conntrack1.Error.NotConfigured");
    EXPECT_STREQ(errorNameFor(EACCES), "org.freedesktop.DBus.Error.AccessDenied");
    EXPECT_STREQ(errorNameFor(ENOTSUP), "org.freedesktop.DBus.Error.NotSupported");
    EXPECT_STREQ(errorNameFor(EPERM), "org.netfilter.Conntrack1.Error.Kernel");
    EXPECT_STREQ(errorNameFor(ENOMEM), "org.netfilter.Conntrack1.Error.Kernel");
    EXPECT_STREQ(errorNameFor(0), "org.netfilter.Conntrack1.Error.Kernel");
}

TEST(Errors, MessageIsKeptOrDerived)
{
    auto withText = toDbusError(ctd::Error{EEXIST, "entry exists"});
    EXPECT_EQ(withText.getName(), "org.netfilter.Conntrack1.Error.Exists");
    EXPECT_EQ(withText.getMessage(), "entry exists");
    auto bare = toDbusError(ctd::Error{EPERM, ""});
    EXPECT_EQ(bare.getName(), "org.netfilter.Conntrack1.Error.Kernel");
    EXPECT_EQ(bare.getMessage(), "Operation not permitted");
}
