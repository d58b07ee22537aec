#include "launcher/mpirun/mpirun_command.h"

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "engine/error.h"
#include "launcher/mpirun/custom_mpi_options.h"
#include "launcher/sagemaker/entry_point.h"
#include "launcher/sagemaker/hyperparameters.h"
#include "launcher/shell/shlex.h"
#include "tests/common/error_matchers.h"
#include "tests/common/temp_dir.h"

namespace tandem::launcher {
namespace {

using nlohmann::json;
using Words = std::vector<std::string>;

Words words(const std::string& command_line) { return shlex_split(command_line, "expected"); }

// docs/sagemaker-contract.md §3.6 worked example: 2 × ml.p4d.24xlarge, SMP, C++
// entry point train_engine (its elided LD_PRELOAD path and SM_* names filled in).
MpirunSpec p4d_smp_spec() {
  MpirunSpec spec;
  spec.hosts = {"algo-1", "algo-2"};
  spec.processes_per_host = 8;
  spec.instance_type = "ml.p4d.24xlarge";
  spec.gethostname_preload = "/opt/tk/gethostname.so";
  spec.forward_env = {"SM_HOSTS", "SM_CURRENT_HOST", "PYTHONPATH"};
  spec.model_parallel = true;
  const json hps = json::parse(R"({"epochs": 3, "sagemaker_program": "train_engine", "mp_parameters": {"ddp": true,
      "microbatches": 4, "partitions": 2, "pipeline": "interleaved", "placement_strategy": "cluster"}})");
  spec.program = entry_point_shell_command("train_engine", hyperparameters_to_argv(hps));
  return spec;
}

const char* kP4dSmpExample =
    "mpirun --host algo-1:8,algo-2:8 -np 16 --allow-run-as-root --display-map --tag-output "
    "-mca btl_tcp_if_include eth0 -mca oob_tcp_if_include eth0 -mca plm_rsh_no_tree_spawn 1 -bind-to none "
    "-map-by slot -mca pml ob1 -mca btl ^openib -mca orte_abort_on_non_zero_status 1 "
    "-mca btl_vader_single_copy_mechanism none -x NCCL_MIN_NRINGS=4 -x NCCL_SOCKET_IFNAME=eth0 -x NCCL_DEBUG=INFO "
    "-x LD_LIBRARY_PATH -x PATH -x LD_PRELOAD=/opt/tk/gethostname.so -x FI_PROVIDER=efa -x NCCL_PROTO=simple "
    "-x FI_EFA_USE_DEVICE_RDMA=1 -x SM_HOSTS -x SM_CURRENT_HOST -x PYTHONPATH "
    "/bin/sh -c \"./train_engine --epochs 3 --mp_parameters "
    "ddp=True,microbatches=4,partitions=2,pipeline=interleaved,placement_strategy=cluster\"";

TEST(MpiRunnerCommand, ContractWorkedExampleTokenByToken) {
  EXPECT_EQ(mpi_runner_command(p4d_smp_spec(), Env()), words(kP4dSmpExample));
}

TEST(MpiRunnerCommand, InsideThePyTorchDlc) {
  MpirunSpec spec = p4d_smp_spec();
  spec.smddpmprun = true;
  std::string expected = kP4dSmpExample;
  expected.replace(expected.find("/bin/sh"), 0,
                   "-x NCCL_PROTO=simple -x NCCL_ALGO=ring smddpmprun -i ml.p4d.24xlarge --allow-bypass ");
  EXPECT_EQ(mpi_runner_command(spec, Env{{"SM_DLC_TORCH_VERSION", "2.0.1"}}), words(expected));

  const auto torch1 = mpi_runner_command(p4d_smp_spec(), Env{{"SM_DLC_TORCH_VERSION", "1.13.1"}});
  const std::string line = format_command_for_display(torch1);
  EXPECT_NE(line.find("PYTHONPATH -x NCCL_PROTO=simple /bin/sh"), std::string::npos) << line;
  EXPECT_EQ(line.find("NCCL_ALGO"), std::string::npos) << line;
}

TEST(MpiRunnerCommand, CredentialsForwardedByNameOnly) {
  const auto command = mpi_runner_command(p4d_smp_spec(), Env{{"AWS_ACCESS_KEY_ID", "AKIA"}, {"AWS_SESSION_TOKEN", "tok"}});
  const std::string line = format_command_for_display(command);
  EXPECT_NE(line.find("FI_EFA_USE_DEVICE_RDMA=1 -x AWS_ACCESS_KEY_ID -x AWS_SESSION_TOKEN -x SM_HOSTS"), std::string::npos)
      << line;
  EXPECT_EQ(line.find("AKIA"), std::string::npos);
}

TEST(MpiRunnerCommand, SingleHostPlainMpi) {
  MpirunSpec spec;
  spec.hosts = {"algo-1"};
  spec.network_interface = "lo";
  spec.program = {"/work/build/tandem", "train", "--epochs", "1"};
  EXPECT_EQ(mpi_runner_command(spec, Env()),
            words("mpirun --host algo-1 -np 1 --allow-run-as-root --display-map --tag-output "
                  "-mca btl_tcp_if_include lo -mca oob_tcp_if_include lo -mca plm_rsh_no_tree_spawn 1 -bind-to none "
                  "-map-by slot -mca pml ob1 -mca btl ^openib -mca orte_abort_on_non_zero_status 1 "
                  "-mca btl_vader_single_copy_mechanism none -x NCCL_MIN_NRINGS=4 -x NCCL_SOCKET_IFNAME=lo "
                  "-x NCCL_DEBUG=INFO -x LD_LIBRARY_PATH -x PATH /work/build/tandem train --epochs 1"));
}

TEST(MpiRunnerCommand, HostListAndProcessCount) {
  MpirunSpec spec;
  spec.hosts = {"algo-1", "algo-2"};
  spec.program = {"prog"};
  auto command = mpi_runner_command(spec, Env());
  EXPECT_EQ(Words(command.begin(), command.begin() + 5), (Words{"mpirun", "--host", "algo-1,algo-2", "-np", "2"}));
  spec.processes_per_host = 4;
  spec.num_processes = 6;  // sagemaker_mpi_num_processes
  command = mpi_runner_command(spec, Env());
  EXPECT_EQ(Words(command.begin(), command.begin() + 5), (Words{"mpirun", "--host", "algo-1:4,algo-2:4", "-np", "6"}));
}

TEST(MpiRunnerCommand, CustomOptionsFollowTheLaunchersAndSetNcclDebug) {
  MpirunSpec spec;
  spec.hosts = {"algo-1"};
  spec.program = {"prog"};
  spec.gethostname_preload = "/g.so";
  spec.custom_mpi_options = "--NCCL_DEBUG WARN -x 'FI_EFA_FORK_SAFE=1' -verbose";
  const std::string line = format_command_for_display(mpi_runner_command(spec, Env()));
  EXPECT_NE(line.find("-x NCCL_DEBUG=WARN -x LD_LIBRARY_PATH -x PATH -x LD_PRELOAD=/g.so -x FI_EFA_FORK_SAFE=1 -verbose prog"),
            std::string::npos)
      << line;
  spec.custom_mpi_options = "--NCCL_DEBUG=VERSION";
  EXPECT_NE(format_command_for_display(mpi_runner_command(spec, Env())).find("NCCL_DEBUG=VERSION"), std::string::npos);
}

TEST(MpiRunnerCommand, CustomOptionsRepeatingTheLauncherAreRefused) {
  MpirunSpec spec;
  spec.hosts = {"algo-1"};
  spec.program = {"prog"};
  const std::pair<const char*, const char*> cases[] = {
      {"-mca btl_vader_single_copy_mechanism none", "\"-mca btl_vader_single_copy_mechanism\" is already set"},
      {"--mca btl_tcp_if_include eth1", "\"--mca btl_tcp_if_include\" is already set"},
      {"--allow-run-as-root", "\"--allow-run-as-root\" is already set"},
      {"-np 4", "\"-np\" is already set"},
      {"-n 4", "\"-n\" is already set"},
      {"--host=algo-2", "\"--host=algo-2\" is already set"},
      {"-H algo-2", "\"-H\" is already set"},
      {"--bind-to core", "\"--bind-to\" is already set"},
      {"-verbose --display-map", "\"--display-map\" is already set"},
  };
  for (const auto& [options, message] : cases) {
    spec.custom_mpi_options = options;
    EXPECT_ERROR(mpi_runner_command(spec, Env()), UsageError, std::string("custom_mpi_options: ") + message);
  }
  spec.custom_mpi_options = "--NCCL_DEBUG";
  EXPECT_ERROR(mpi_runner_command(spec, Env()), UsageError, "custom_mpi_options: --NCCL_DEBUG needs a value");
  spec.custom_mpi_options = "-x 'A=1";
  EXPECT_ERROR(mpi_runner_command(spec, Env()), UsageError, "custom_mpi_options: no closing quotation");
  // -x may repeat: the later value wins in Open MPI.
  spec.custom_mpi_options = "-x NCCL_SOCKET_IFNAME=eth1 -mca btl_openib_warn_no_device_params_found 0";
  EXPECT_NO_THROW(mpi_runner_command(spec, Env()));
}

TEST(MpiRunnerCommand, BadSpecsAreRefused) {
  MpirunSpec spec;
  spec.program = {"prog"};
  EXPECT_ERROR(mpi_runner_command(spec, Env()), UsageError, "mpirun: no hosts");
  spec.hosts = {"algo-1"};
  spec.processes_per_host = 0;
  EXPECT_ERROR(mpi_runner_command(spec, Env()), UsageError, "processes_per_host: expected an integer >= 1, got 0");
  spec.processes_per_host = 1;
  spec.program.clear();
  EXPECT_ERROR(smddp_runner_command(spec), UsageError, "mpirun: no program to run");
}

// docs/sagemaker-contract.md §3.7 with two ml.p4d.24xlarge and the SMDDP docs' custom options.
TEST(SmddpRunnerCommand, TwoHostsTokenByToken) {
  MpirunSpec spec;
  spec.hosts = {"algo-1", "algo-2"};
  spec.processes_per_host = 8;
  spec.instance_type = "ml.p4d.24xlarge";
  spec.gethostname_preload = "/opt/tk/gethostname.so";
  spec.custom_mpi_options = "-verbose -x NCCL_DEBUG=VERSION";
  spec.smddprun = true;
  spec.program = entry_point_shell_command("train_engine", {"--epochs", "3"});
  EXPECT_EQ(smddp_runner_command(spec),
            words("mpirun --host algo-1:8,algo-2:8 -np 16 --allow-run-as-root --tag-output --oversubscribe "
                  "-mca btl_tcp_if_include eth0 -mca oob_tcp_if_include eth0 -mca plm_rsh_no_tree_spawn 1 "
                  "-mca pml ob1 -mca btl ^openib -mca orte_abort_on_non_zero_status 1 "
                  "-mca btl_vader_single_copy_mechanism none -mca plm_rsh_num_concurrent 2 "
                  "-x NCCL_SOCKET_IFNAME=eth0 -x NCCL_DEBUG=INFO -x LD_LIBRARY_PATH -x PATH "
                  "-x SMDATAPARALLEL_USE_HOMOGENEOUS=1 -x FI_PROVIDER=efa -x RDMAV_FORK_SAFE=1 "
                  "-x LD_PRELOAD=/opt/tk/gethostname.so -verbose -x NCCL_DEBUG=VERSION -x NCCL_PROTO=simple "
                  "-x FI_EFA_USE_DEVICE_RDMA=1 -x SMDATAPARALLEL_SERVER_ADDR=algo-1 -x SMDATAPARALLEL_SERVER_PORT=7592 "
                  "-x SAGEMAKER_INSTANCE_TYPE=ml.p4d.24xlarge smddprun /bin/sh -c \"./train_engine --epochs 3\""));
}

TEST(SmddpRunnerCommand, SingleNode) {
  MpirunSpec spec;
  spec.hosts = {"algo-1"};
  spec.processes_per_host = 8;
  spec.instance_type = "ml.p3.16xlarge";
  spec.program = entry_point_shell_command("train_engine", {});
  EXPECT_EQ(smddp_runner_command(spec),
            words("mpirun --host algo-1 -np 8 --allow-run-as-root --tag-output --oversubscribe "
                  "-mca btl_tcp_if_include eth0 -mca oob_tcp_if_include eth0 -mca plm_rsh_no_tree_spawn 1 "
                  "-mca pml ob1 -mca btl ^openib -mca orte_abort_on_non_zero_status 1 "
                  "-mca btl_vader_single_copy_mechanism none -mca plm_rsh_num_concurrent 1 "
                  "-x NCCL_SOCKET_IFNAME=eth0 -x NCCL_DEBUG=INFO -x LD_LIBRARY_PATH -x PATH "
                  "-x SMDATAPARALLEL_USE_SINGLENODE=1 -x FI_PROVIDER=efa -x RDMAV_FORK_SAFE=1 "
                  "/bin/sh -c \"./train_engine \""));
  spec.custom_mpi_options = "--oversubscribe";
  EXPECT_ERROR(smddp_runner_command(spec), UsageError, "custom_mpi_options: \"--oversubscribe\" is already set");
  spec.custom_mpi_options = "--display-map";  // the MPI runner's flag, not this one's
  EXPECT_NO_THROW(smddp_runner_command(spec));
}

TEST(EntryPointShellCommand, QuotesEachArgumentAsTheToolkit) {
  EXPECT_EQ(entry_point_shell_command("tandem train", {"--model", "gpt2", "--name", "x; touch /tmp/tandem-injected", "--e", ""}),
            (Words{"/bin/sh", "-c", "./tandem train --model gpt2 --name 'x; touch /tmp/tandem-injected' --e ''"}));
}

// Runs the /bin/sh -c form for real: a hostile hyperparameter arrives as one
// argument and nothing in it is executed.
TEST(EntryPointShellCommand, HostileHyperparameterReachesTheProgramIntact) {
  const TempDir dir;
  const auto marker = dir.path() / "injected";
  const auto script = dir.write("show_args", "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > args.txt\n");
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  const std::string hostile = "x; touch " + marker.string() + "; $(touch " + marker.string() + ")";
  const auto argv = hyperparameters_to_argv(json{{"name", hostile}, {"epochs", 2}});
  const auto command = entry_point_shell_command("show_args", argv);

  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (chdir(dir.path().c_str()) != 0) _exit(127);
    std::vector<char*> args;
    for (const auto& token : command) args.push_back(const_cast<char*>(token.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  std::ifstream in(dir.path() / "args.txt");
  Words received;
  for (std::string line; std::getline(in, line);) received.push_back(line);
  EXPECT_EQ(received, (Words{"--epochs", "2", "--name", hostile}));
  EXPECT_FALSE(std::filesystem::exists(marker));
}

}  // namespace
}  // namespace tandem::launcher
