#!/usr/bin/perl
# embed.pl NAME FILE: write to stdout a C file that defines NAME (an array of
# FILE's bytes, NUL-terminated) and NAME_len (their count, without the NUL),
# as declared in client/render_html.h. The Makefile runs it at build time so
# that the page template stays a real file to edit and view (no xxd needed).
#
# The page's Content-Security-Policy lets only its own script run: the
# placeholder @ANNALS_SCRIPT_SHA256@ becomes the hash of the first
# <script>...</script> element (the one without a type), so that markup
# slipped into the page through its data could not run a script even if
# escaping failed.
use strict;
use warnings;
use Digest::SHA qw(sha256_base64);

my ($name, $file) = @ARGV;
die "usage: embed.pl NAME FILE\n" unless defined $file && $name =~ /^[A-Za-z_]\w*$/;
open my $fh, '<:raw', $file or die "embed.pl: cannot read $file: $!\n";
my $bytes = do { local $/; <$fh> };
close $fh;
my ($script) = $bytes =~ m{<script>(.*?)</script>}s
    or die "embed.pl: $file has no <script> element\n";
my $hash = sha256_base64($script);
$hash .= '=' x ((4 - length($hash) % 4) % 4);   # Digest::SHA leaves out the padding
$bytes =~ s/\@ANNALS_SCRIPT_SHA256\@/sha256-$hash/g
    or die "embed.pl: $file has no \@ANNALS_SCRIPT_SHA256\@ placeholder\n";
my @b = unpack 'C*', $bytes;
print "/* Generated from $file by client/render/embed.pl: do not edit. */\n",
      "#include \"client/render_html.h\"\n\n",
      "const unsigned char ${name}[] = {\n";
for (my $i = 0; $i < @b; $i += 16) {
    my $j = $i + 15 < $#b ? $i + 15 : $#b;
    print '    ', join(',', @b[$i .. $j]), ",\n";
}
print "    0\n};\nconst size_t ${name}_len = ", scalar(@b), ";\n";
