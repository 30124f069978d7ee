//! The store's integration tests. Every test body is written once, as an `async fn(Db)` in one
//! of the submodules, and `backend_tests!` instantiates it twice: `sqlite::NAME` on a fresh
//! SQLite database in a temporary directory, and `postgres::NAME` on a fresh database of the
//! PostgreSQL server named by `ROLECALL_TEST_DATABASE_URL`. Without that variable the PostgreSQL
//! half is skipped with a message; under CI its absence fails the PostgreSQL tests.

#[path = "store/harness.rs"]
mod harness;

#[path = "store/accounts.rs"]
mod accounts;
#[path = "store/atomicity.rs"]
mod atomicity;
#[path = "store/aws_policies.rs"]
mod aws_policies;
#[path = "store/console.rs"]
mod console;
#[path = "store/entities.rs"]
mod entities;
#[path = "store/events.rs"]
mod events;
#[path = "store/keys.rs"]
mod keys;
#[path = "store/listing.rs"]
mod listing;
#[path = "store/mfa.rs"]
mod mfa;
#[path = "store/migrations.rs"]
mod migrations;
#[path = "store/policies.rs"]
mod policies;
#[path = "store/tags.rs"]
mod tags;

/// Declares each `module::test` once and generates `sqlite::test` and `postgres::test`.
macro_rules! backend_tests {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    crate::harness::run_sqlite(crate::$module::$name);
                }
            )*
        }

        mod postgres {
            $(
                #[test]
                fn $name() {
                    crate::harness::run_postgres(
                        concat!("postgres::", stringify!($name)),
                        crate::$module::$name,
                    );
                }
            )*
        }
    };
}

backend_tests! {
    accounts::accounts_are_created_once_and_listed_in_order,
    accounts::account_alias_roundtrip_and_uniqueness,
    accounts::server_keys_are_added_once_and_listed_in_order,
    entities::users_roundtrip,
    entities::names_are_unique_case_insensitively_per_account_and_kind,
    entities::rename_and_move_carry_every_dependent,
    entities::group_rename_carries_members_and_attachments,
    entities::delete_user_names_each_dependent_in_turn,
    entities::a_new_entity_inherits_nothing_left_under_its_name,
    entities::groups_and_membership,
    entities::roles_roundtrip,
    entities::instance_profiles_hold_one_role,
    entities::permissions_boundaries,
    listing::users_page_in_case_insensitive_name_order,
    listing::path_prefix_filters_and_reads_ahead,
    listing::roles_and_groups_page_like_users,
    listing::managed_policies_page_by_arn_with_scope_and_prefix,
    keys::access_key_keeps_sealed_secret_verbatim,
    keys::access_keys_limit_order_and_ownership,
    keys::access_key_status_use_and_deletion,
    keys::root_access_keys,
    keys::concurrent_key_creation_respects_the_limit,
    policies::inline_policies_roundtrip,
    policies::inline_policy_aggregate_size_limit,
    policies::managed_policy_versions_and_default,
    policies::policy_versions_list_newest_first_past_v9,
    policies::managed_policy_names_are_unique_per_account,
    policies::attachments_and_usage_counts,
    policies::attachment_limit,
    policies::concurrent_attachments_stop_at_the_limit,
    policies::delete_managed_policy_checks_dependents,
    policies::aws_managed_policies_and_scopes,
    aws_policies::aws_policy_copies_are_replaced_whole_and_keep_their_attachments,
    aws_policies::policy_usage_counts_one_accounts_attachments_and_boundaries,
    mfa::mfa_device_lifecycle,
    mfa::mfa_steps_are_single_use,
    mfa::mfa_devices_list_by_account_and_user,
    tags::tags_roundtrip,
    tags::concurrent_writes_stop_at_the_limits,
    tags::tag_limit_refusal_rolls_back_the_whole_batch,
    tags::resource_tags_go_with_their_resource,
    events::events_roundtrip_every_field,
    events::a_batch_with_a_repeated_event_id_writes_nothing,
    events::each_lookup_attribute_filters,
    events::time_range_is_inclusive_at_both_ends,
    events::newest_first_with_ties_broken_by_event_id,
    events::cursor_pages_return_every_row_exactly_once,
    events::lookups_see_only_their_own_account,
    events::prune_removes_only_older_events_and_their_resources,
    events::empty_lookup_returns_no_cursor,
    events::nul_characters_cannot_fail_a_batch,
    events::lookups_match_a_plain_reading_of_the_trail,
    events::ties_across_commits_are_ordered_by_event_id,
    events::the_servers_batches_are_found_within_a_second,
    events::events_a_crash_left_unindexed_are_indexed_on_opening,
    events::records_read_back_exactly_whether_packed_or_stored_as_text,
    events::key_rows_with_the_same_start_are_all_read,
    events::closing_writes_the_key_rows_held,
    events::pruning_cuts_through_a_batch_exactly,
    events::an_event_committed_after_a_newer_one_is_found_in_its_place,
    events::a_record_too_large_to_pack_is_stored_whole,
    console::console_ids_are_spent_once_until_they_expire,
    console::concurrent_uses_of_one_sign_in_token_spend_it_once,
    migrations::fresh_database_has_every_migration_applied,
    migrations::reopen_keeps_data_and_applies_nothing_twice,
    migrations::concurrent_opens_of_a_fresh_database,
    migrations::version_2_events_are_found_after_the_upgrade,
    atomicity::failed_policy_creation_leaves_no_policy,
    atomicity::failed_policy_version_leaves_counter_and_default,
    atomicity::failed_rename_leaves_the_entity_where_it_was,
    atomicity::reads_then_writes_wait_for_a_concurrent_writer,
}
