# What the build-cost scripts share; sourced, with $work set to their
# working folder.

forget_crate() { # target package: removes that crate's own release artifacts
  # Not `cargo clean -p`: for kratos-client it also removes the `tracing`
  # crate's (the client has a feature of that name), which would then be
  # rebuilt, with everything above it, inside the timing.
  local release="$1/release" name="${2//-/_}"
  rm -rf "$release"/.fingerprint/"$2"-* "$release"/build/"$2"-* \
    "$release"/deps/lib"$name"-* "$release"/deps/"$name"-*
}

seconds() { # command... -> wall seconds, output to the log
  local start end
  start=$(date +%s.%N)
  "$@" >>"$work/log" 2>&1
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

machine() { # one line: cores, CPU, memory, compiler
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB; $(rustc --version)"
}
