// The class report: numbers first (BuildClassReport), then one self-contained HTML page.
#include "pathwise/io/class_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "csv_reader.h"

namespace pathwise {
namespace {

std::vector<std::string> DefaultGoals(const CompetencyGraph& graph) {
  std::vector<std::string> goals;
  for (const Group* group : graph.groups()) {
    if (group->parent.empty()) goals.push_back(group->id);
  }
  if (goals.empty()) {
    for (const Competency* c : graph.competencies()) goals.push_back(c->id);
  }
  return goals;
}

std::vector<ReportTopic> Topics(const CompetencyGraph& graph) {
  std::vector<ReportTopic> topics;
  std::unordered_map<std::string, size_t> index;
  for (const Group* group : graph.groups()) {
    index[group->id] = topics.size();
    topics.push_back({group->id, group->name.empty() ? group->id : group->name, {}});
  }
  ReportTopic other{"", "Other competencies", {}};
  for (const Competency* c : graph.competencies()) {
    if (c->group.empty()) {
      other.competency_ids.push_back(c->id);
    } else {
      topics[index.at(c->group)].competency_ids.push_back(c->id);
    }
  }
  if (!other.competency_ids.empty()) topics.push_back(std::move(other));
  // Groups that only hold groups (an area above topics) have no column of their own.
  topics.erase(std::remove_if(topics.begin(), topics.end(),
                              [](const ReportTopic& t) { return t.competency_ids.empty(); }),
               topics.end());
  return topics;
}

}  // namespace

Result<ClassReport> BuildClassReport(const CompetencyGraph& graph, const BktModel& model,
                                     const ClassReportInput& input,
                                     const ClassReportOptions& options) {
  if (options.recommendations_per_learner < 1) {
    return Status::InvalidArgument("recommendations_per_learner: must be >= 1, got " +
                                   std::to_string(options.recommendations_per_learner));
  }
  ClassReport report;
  report.title = options.title;
  report.description = input.description;
  report.options = options;
  report.goals = options.goals.empty() ? DefaultGoals(graph) : options.goals;
  PATHWISE_ASSIGN_OR_RETURN(std::vector<std::string> goal_competencies,
                            graph.ExpandGoals(report.goals));
  report.topics = Topics(graph);
  for (const Competency* c : graph.competencies()) {
    report.competency_names[c->id] = c->name.empty() ? c->id : c->name;
    report.thresholds[c->id] = c->mastery_threshold;
  }

  PATHWISE_ASSIGN_OR_RETURN(std::unique_ptr<Engine> engine, Engine::Create(graph, model));
  PATHWISE_RETURN_IF_ERROR(engine->SetRecommenderOptions(options.recommender));
  Result<size_t> applied = engine->RecordBatch(input.events);
  if (!applied.ok()) return applied.status().WithContext("events");
  report.events_applied = *applied;

  // The class: as given, else every learner with an event, first seen first.
  std::vector<std::string> learners = input.learners;
  std::unordered_map<std::string, size_t> events_of;
  for (const Observation& e : input.events) {
    if (events_of[e.learner_id]++ == 0 && input.learners.empty()) learners.push_back(e.learner_id);
    report.latest_event_ms = std::max(report.latest_event_ms, e.timestamp_ms);
  }
  std::unordered_set<std::string> seen;
  for (size_t i = 0; i < learners.size(); ++i) {
    if (learners[i].empty()) {
      return Status::InvalidArgument("learners[" + std::to_string(i) + "]: empty learner id");
    }
    if (!seen.insert(learners[i]).second) {
      return Status::InvalidArgument("learners[" + std::to_string(i) + "]: '" + learners[i] +
                                     "' is listed twice");
    }
  }

  RecommendRequest request;
  request.goals = report.goals;
  request.k = options.recommendations_per_learner;
  request.now_ms = options.now_ms != 0 ? options.now_ms : report.latest_event_ms;
  for (const std::string& learner_id : learners) {
    ClassReportLearner row;
    row.learner_id = learner_id;
    auto it = events_of.find(learner_id);
    row.events = it == events_of.end() ? 0 : it->second;
    row.mastery = engine->Mastery(learner_id);
    double sum = 0.0;
    std::unordered_map<std::string, const MasteryEstimate*> by_id;
    for (const MasteryEstimate& e : row.mastery.competencies) {
      by_id[e.competency_id] = &e;
      sum += e.p_learned;
      if (e.mastered) ++row.competencies_mastered;
      const MasteryPolicyOptions& stall = options.recommender.mastery;
      if (IsStalled(e, stall)) {
        row.stalled.push_back({e.competency_id, e.p_learned, e.opportunities,
                               RecentCorrect(e, stall.stall_min_attempts)});
      }
    }
    row.mean_p_learned =
        row.mastery.competencies.empty() ? 0.0 : sum / row.mastery.competencies.size();
    row.goal_reached = std::all_of(goal_competencies.begin(), goal_competencies.end(),
                                   [&](const std::string& id) { return by_id.at(id)->mastered; });
    PATHWISE_ASSIGN_OR_RETURN(row.pathway, engine->Plan(learner_id, report.goals));
    PATHWISE_ASSIGN_OR_RETURN(row.recommendations, engine->Recommend(learner_id, request));
    report.learners.push_back(std::move(row));
  }

  // Cohorts: each over its members in the class; the whole class last.
  std::unordered_map<std::string, const ClassReportLearner*> in_class;
  for (const ClassReportLearner& row : report.learners) in_class[row.learner_id] = &row;
  std::unordered_map<std::string, size_t> topic_of;
  for (size_t t = 0; t < report.topics.size(); ++t) {
    for (const std::string& id : report.topics[t].competency_ids) topic_of[id] = t;
  }
  auto summarise = [&](const std::string& name,
                       const std::vector<const ClassReportLearner*>& rows) {
    CohortSummary s;
    s.cohort = name;
    s.learners = rows.size();
    std::vector<double> topic_sum(report.topics.size(), 0.0);
    std::vector<size_t> topic_cells(report.topics.size(), 0);
    size_t cells = 0, mastered = 0, reached = 0;
    double sum = 0.0;
    for (const ClassReportLearner* row : rows) {
      for (const MasteryEstimate& e : row->mastery.competencies) {
        ++cells;
        sum += e.p_learned;
        if (e.mastered) ++mastered;
        const size_t t = topic_of.at(e.competency_id);
        topic_sum[t] += e.p_learned;
        ++topic_cells[t];
      }
      if (row->goal_reached) ++reached;
      s.stalled += row->stalled.size();
    }
    s.mean_p_learned = cells == 0 ? 0.0 : sum / cells;
    s.share_mastered = cells == 0 ? 0.0 : static_cast<double>(mastered) / cells;
    s.share_goal_reached = rows.empty() ? 0.0 : static_cast<double>(reached) / rows.size();
    for (size_t t = 0; t < report.topics.size(); ++t) {
      s.topic_mean_p_learned.push_back(topic_cells[t] == 0 ? 0.0 : topic_sum[t] / topic_cells[t]);
    }
    return s;
  };
  for (const auto& [name, members] : input.cohorts) {
    std::vector<const ClassReportLearner*> rows;
    std::unordered_set<std::string> counted;
    for (const std::string& id : members) {
      auto found = in_class.find(id);
      if (found != in_class.end() && counted.insert(id).second) rows.push_back(found->second);
    }
    // A cohort with nobody in this class (a school-wide groups file read for one class) says
    // nothing here and is left out.
    if (!rows.empty()) report.cohorts.push_back(summarise(name, rows));
  }
  std::vector<const ClassReportLearner*> everyone;
  for (const ClassReportLearner& row : report.learners) everyone.push_back(&row);
  report.cohorts.push_back(summarise("Whole class", everyone));
  return report;
}

Result<std::map<std::string, std::vector<std::string>>> ReadLearnerGroupsCsv(
    const std::string& path, const std::string& column) {
  PATHWISE_ASSIGN_OR_RETURN(std::string text, io_internal::ReadFileToString(path));
  PATHWISE_ASSIGN_OR_RETURN(io_internal::CsvTable table, io_internal::ParseCsv(text, path));
  PATHWISE_ASSIGN_OR_RETURN(std::vector<size_t> columns,
                            table.RequireColumns(path, {"learner_id", column}));
  std::map<std::string, std::vector<std::string>> groups;
  std::unordered_map<std::string, size_t> first_line;
  std::string errors;
  for (const io_internal::CsvRow& row : table.rows) {
    const std::string where = path + ":" + std::to_string(row.line) + ": ";
    const std::string learner(io_internal::TrimSpaces(row.fields[columns[0]]));
    const std::string value(io_internal::TrimSpaces(row.fields[columns[1]]));
    if (learner.empty()) {
      errors += where + "empty learner_id\n";
      continue;
    }
    auto [it, inserted] = first_line.emplace(learner, row.line);
    if (!inserted) {
      errors += where + "learner '" + learner + "' is given twice (first at line " +
                std::to_string(it->second) + ")\n";
      continue;
    }
    if (!value.empty()) groups[value].push_back(learner);
  }
  if (!errors.empty()) return Status::InvalidArgument(errors + "no learner groups read");
  return groups;
}

// ---------------------------------------------------------------------------------------------------
// HTML
// ---------------------------------------------------------------------------------------------------

namespace {

std::string Escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Fixed(double value, int decimals) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  return buffer;
}

std::string PercentText(double share) { return Fixed(100.0 * share, 0) + "%"; }

// P(learned) for people: rounded down to two decimals, so that a value shown at the threshold
// (0.95) is always mastered; rounding to nearest would show 0.949 as an unmastered "0.95". The
// epsilon keeps a value such as 0.97, stored as 0.96999..., from dropping a digit.
std::string Probability(double p) {
  return Fixed(std::floor(std::clamp(p, 0.0, 1.0) * 100.0 + 1e-9) / 100.0, 2);
}

// Cell background for P(learned) p: white to a mid blue. The darkest shade keeps the text colour
// #111 above a 6:1 contrast (WCAG AA asks 4.5:1), so every number stays readable.
std::string CellColour(double p) {
  p = std::clamp(p, 0.0, 1.0);
  const int from[3] = {255, 255, 255}, to[3] = {90, 160, 216};
  char buffer[8];
  int rgb[3];
  for (int i = 0; i < 3; ++i) {
    rgb[i] = static_cast<int>(std::lround(from[i] + (to[i] - from[i]) * p));
  }
  std::snprintf(buffer, sizeof(buffer), "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
  return buffer;
}

// An HTML id from any string: ids of learners and competencies may hold any character.
std::string Anchor(const std::string& prefix, size_t index) {
  return prefix + "-" + std::to_string(index);
}

const char kStyle[] = R"css(
:root { color: #111; background: #fff; }
body { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; margin: 1.5rem; line-height: 1.4; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 2px solid #333; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .3rem; }
a { color: #0645ad; }
a:focus, [tabindex]:focus { outline: 3px solid #b35900; outline-offset: 2px; }
.subtitle { color: #333; margin: 0; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 1rem; background: #fff; padding: .3rem; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
      white-space: nowrap; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: .5rem 0; }
caption { text-align: left; font-weight: bold; padding: .3rem 0; }
th, td { border: 1px solid #767676; padding: .2rem .35rem; }
th { background: #f0f0f0; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.heatmap th[scope=col] { font-size: .72rem; font-weight: normal; max-width: 6.5rem;
      vertical-align: bottom; }
table.heatmap th[scope=colgroup] { text-align: center; }
table.heatmap td { text-align: center; font-variant-numeric: tabular-nums; min-width: 3.2rem; }
table.heatmap td.count { white-space: nowrap; }
table.heatmap td.mastered { font-weight: bold; border: 2px solid #111; }
table.heatmap td.stalled { outline: 2px dashed #8a2b00; outline-offset: -4px; }
.legend { display: flex; gap: 1.2rem; flex-wrap: wrap; font-size: .9rem; }
.legend span.swatch { display: inline-block; width: 2.6rem; text-align: center;
      border: 1px solid #767676; }
ol.pathway li, ol.recs li { margin: .15rem 0; }
.reasons { margin: .1rem 0 .4rem 1rem; font-size: .9rem; }
.warning { color: #8a2b00; font-weight: bold; }
svg text { font-family: inherit; font-size: 12px; fill: #111; }
footer { margin-top: 2rem; font-size: .85rem; color: #333; }
@media print {
  body { margin: 0; font-size: 10pt; }
  nav, .skip { display: none; }
  .scroll { overflow: visible; }
  a { color: #111; text-decoration: none; }
  h2 { break-after: avoid; }
  table, figure, .learner { break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
)css";

void Heatmap(const ClassReport& r, std::string& h) {
  h += "<section id=\"heatmap\" aria-labelledby=\"heatmap-h\">\n<h2 id=\"heatmap-h\">Mastery by "
       "learner and competency</h2>\n";
  h += "<p>Each cell is P(learned), the estimated probability that the learner has learned the "
       "competency (0 to 1, rounded down to two decimals). <strong>✓</strong> marks a mastered "
       "competency (at or above its "
       "threshold, usually 0.95) and <strong>!</strong> a stalled one (see "
       "<a href=\"#stalled\">Who is stalled</a>). Shading repeats the number: darker is "
       "higher.</p>\n";
  h += "<p class=\"legend\" aria-hidden=\"true\">";
  for (double p : {0.0, 0.25, 0.5, 0.75, 1.0}) {
    h += "<span><span class=\"swatch\" style=\"background:" + CellColour(p) + "\">" + Fixed(p, 2) +
         "</span></span>";
  }
  h += "</p>\n";
  h += "<div class=\"scroll\" role=\"region\" aria-labelledby=\"heatmap-caption\" "
       "tabindex=\"0\">\n<table class=\"heatmap\">\n<caption id=\"heatmap-caption\">P(learned) of "
       "" +
       std::to_string(r.learners.size()) + " learners (rows) on " +
       std::to_string(r.competency_names.size()) +
       " competencies (columns, grouped by topic)</caption>\n<thead>\n<tr><th scope=\"col\" "
       "rowspan=\"2\">Learner</th>";
  for (const ReportTopic& topic : r.topics) {
    h += "<th scope=\"colgroup\" colspan=\"" + std::to_string(topic.competency_ids.size()) + "\">" +
         Escape(topic.name) + "</th>";
  }
  h += "<th scope=\"col\" rowspan=\"2\">Mean</th><th scope=\"col\" rowspan=\"2\">Mastered</th></tr>"
       "\n<tr>";
  for (const ReportTopic& topic : r.topics) {
    for (const std::string& id : topic.competency_ids) {
      h += "<th scope=\"col\" title=\"" + Escape(id) + "\">" + Escape(r.competency_names.at(id)) +
           "</th>";
    }
  }
  h += "</tr>\n</thead>\n<tbody>\n";
  for (const ClassReportLearner& row : r.learners) {
    std::unordered_map<std::string, const MasteryEstimate*> by_id;
    for (const MasteryEstimate& e : row.mastery.competencies) by_id[e.competency_id] = &e;
    std::unordered_set<std::string> stalled;
    for (const StalledCompetency& s : row.stalled) stalled.insert(s.competency_id);
    h += "<tr><th scope=\"row\">" + Escape(row.learner_id) + "</th>";
    for (const ReportTopic& topic : r.topics) {
      for (const std::string& id : topic.competency_ids) {
        const MasteryEstimate& e = *by_id.at(id);
        const bool is_stalled = stalled.count(id) > 0;
        std::string cls = e.mastered ? "mastered" : (is_stalled ? "stalled" : "");
        h += "<td" + (cls.empty() ? std::string() : " class=\"" + cls + "\"") + " data-learner=\"" +
             Escape(row.learner_id) + "\" data-competency=\"" + Escape(id) +
             "\" style=\"background:" + CellColour(e.p_learned) + "\">" + Probability(e.p_learned);
        if (e.mastered)
          h += "<span aria-hidden=\"true\"> ✓</span><span class=\"sr\"> mastered</span>";
        if (is_stalled)
          h += "<span aria-hidden=\"true\"> !</span><span class=\"sr\"> stalled</span>";
        h += "</td>";
      }
    }
    h += "<td class=\"num\" data-learner=\"" + Escape(row.learner_id) + "\" data-column=\"mean\">" +
         Probability(row.mean_p_learned) + "</td><td class=\"num count\" data-learner=\"" +
         Escape(row.learner_id) + "\" data-column=\"mastered\">" +
         std::to_string(row.competencies_mastered) + " of " +
         std::to_string(row.mastery.competencies.size()) + "</td></tr>\n";
  }
  h += "</tbody>\n</table>\n</div>\n</section>\n";
}

void Stalled(const ClassReport& r, std::string& h) {
  const MasteryPolicyOptions& o = r.options.recommender.mastery;
  const std::string window = std::to_string(o.stall_min_attempts);
  h += "<section id=\"stalled\" aria-labelledby=\"stalled-h\">\n<h2 id=\"stalled-h\">Who is "
       "stalled</h2>\n";
  h += "<p>Rule: a learner is stalled on a competency that is not mastered when at most " +
       std::to_string(o.stall_max_recent_correct) + " of their last " + window +
       " answers to it were right: practice is not working, so the learner may need help, "
       "another activity or a prerequisite first. The recommendations follow the same rule (their "
       "reasons say \"stalled on\").</p>\n";
  size_t count = 0;
  for (const ClassReportLearner& row : r.learners) count += row.stalled.size();
  if (count == 0) {
    h += "<p>Nobody is stalled.</p>\n</section>\n";
    return;
  }
  h += "<table id=\"stalled-table\">\n<caption>" + std::to_string(count) +
       " stalled learner and competency pairs</caption>\n<thead><tr><th "
       "scope=\"col\">Learner</th><th scope=\"col\">Competency</th><th "
       "scope=\"col\">Answers</th><th scope=\"col\">Right of the last " +
       window +
       "</th><th scope=\"col\">P(learned)</th><th "
       "scope=\"col\">Threshold</th></tr></thead>\n<tbody>\n";
  for (const ClassReportLearner& row : r.learners) {
    for (const StalledCompetency& s : row.stalled) {
      h += "<tr><th scope=\"row\">" + Escape(row.learner_id) + "</th><td>" +
           Escape(r.competency_names.at(s.competency_id)) + "</td><td class=\"num\">" +
           std::to_string(s.opportunities) + "</td><td class=\"num\">" +
           std::to_string(s.recent_correct) + "</td><td class=\"num\">" + Probability(s.p_learned) +
           "</td><td class=\"num\">" + Fixed(r.thresholds.at(s.competency_id), 2) + "</td></tr>\n";
    }
  }
  h += "</tbody>\n</table>\n</section>\n";
}

void Cohorts(const ClassReport& r, std::string& h) {
  h +=
      "<section id=\"cohorts\" aria-labelledby=\"cohorts-h\">\n<h2 id=\"cohorts-h\">Cohorts</h2>\n";
  if (r.cohorts.size() == 1) {
    h += "<p>No cohorts were given (a OneRoster roster or a learner groups file gives them); the "
         "whole class is one cohort.</p>\n";
  } else {
    h += "<p>Mean P(learned) and the share of mastered cells per cohort, so that a group falling "
         "behind shows. A learner may belong to several cohorts.</p>\n";
  }
  // A bar chart of mean P(learned) per cohort; the table below holds the same numbers.
  const int bar_height = 22, gap = 8, label_width = 160, chart_width = 360;
  const int height = static_cast<int>(r.cohorts.size()) * (bar_height + gap) + 24;
  std::string label = "Mean P(learned) by cohort: ";
  for (size_t i = 0; i < r.cohorts.size(); ++i) {
    label +=
        (i == 0 ? "" : "; ") + r.cohorts[i].cohort + " " + Probability(r.cohorts[i].mean_p_learned);
  }
  h += "<figure>\n<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby="
       "\"cohort-chart-title\" width=\"" +
       std::to_string(label_width + chart_width + 60) + "\" height=\"" + std::to_string(height) +
       "\" viewBox=\"0 0 " + std::to_string(label_width + chart_width + 60) + " " +
       std::to_string(height) + "\">\n<title id=\"cohort-chart-title\">" + Escape(label) +
       "</title>\n";
  for (size_t i = 0; i < r.cohorts.size(); ++i) {
    const CohortSummary& c = r.cohorts[i];
    const int y = static_cast<int>(i) * (bar_height + gap);
    const int w =
        static_cast<int>(std::lround(chart_width * std::clamp(c.mean_p_learned, 0.0, 1.0)));
    h += "<text x=\"" + std::to_string(label_width - 6) + "\" y=\"" +
         std::to_string(y + bar_height - 6) + "\" text-anchor=\"end\">" + Escape(c.cohort) +
         "</text>";
    h += "<rect x=\"" + std::to_string(label_width) + "\" y=\"" + std::to_string(y) +
         "\" width=\"" + std::to_string(w) + "\" height=\"" + std::to_string(bar_height) +
         "\" fill=\"#3a78b5\"/>";
    h += "<text x=\"" + std::to_string(label_width + w + 6) + "\" y=\"" +
         std::to_string(y + bar_height - 6) + "\">" + Probability(c.mean_p_learned) + "</text>\n";
  }
  const int axis_y = static_cast<int>(r.cohorts.size()) * (bar_height + gap);
  h += "<line x1=\"" + std::to_string(label_width) + "\" x2=\"" +
       std::to_string(label_width + chart_width) + "\" y1=\"" + std::to_string(axis_y) +
       "\" y2=\"" + std::to_string(axis_y) + "\" stroke=\"#111\"/>";
  for (double tick : {0.0, 0.5, 1.0}) {
    h += "<text x=\"" + std::to_string(label_width + static_cast<int>(chart_width * tick)) +
         "\" y=\"" + std::to_string(axis_y + 16) + "\" text-anchor=\"middle\">" + Fixed(tick, 1) +
         "</text>";
  }
  h += "\n</svg>\n<figcaption>Mean P(learned) per cohort (0 to 1); the numbers are in the table "
       "below.</figcaption>\n</figure>\n";

  h += "<table id=\"cohort-table\">\n<caption>Per cohort: learners, mean P(learned), share of "
       "learner and competency cells mastered, share of learners at the class goal, stalled cells, "
       "and mean P(learned) per topic</caption>\n<thead><tr><th scope=\"col\">Cohort</th><th "
       "scope=\"col\">Learners</th><th scope=\"col\">Mean P(learned)</th><th scope=\"col\">Share "
       "mastered</th><th scope=\"col\">At goal</th><th scope=\"col\">Stalled</th>";
  for (const ReportTopic& topic : r.topics)
    h += "<th scope=\"col\">" + Escape(topic.name) + "</th>";
  h += "</tr></thead>\n<tbody>\n";
  for (const CohortSummary& c : r.cohorts) {
    const std::string key = " data-cohort=\"" + Escape(c.cohort) + "\"";
    h += "<tr><th scope=\"row\">" + Escape(c.cohort) + "</th><td class=\"num\">" +
         std::to_string(c.learners) + "</td><td class=\"num\"" + key + " data-column=\"mean\">" +
         Probability(c.mean_p_learned) + "</td><td class=\"num\"" + key +
         " data-column=\"share-mastered\">" + PercentText(c.share_mastered) +
         "</td><td class=\"num\"" + key + " data-column=\"at-goal\">" +
         PercentText(c.share_goal_reached) + "</td><td class=\"num\">" + std::to_string(c.stalled) +
         "</td>";
    for (double p : c.topic_mean_p_learned) h += "<td class=\"num\">" + Probability(p) + "</td>";
    h += "</tr>\n";
  }
  h += "</tbody>\n</table>\n</section>\n";
}

std::string GoalText(const ClassReport& r) {
  std::string text;
  for (size_t i = 0; i < r.goals.size(); ++i) {
    auto it = r.competency_names.find(r.goals[i]);
    text += (i == 0 ? "" : ", ") + (it != r.competency_names.end() ? it->second : r.goals[i]);
  }
  return text;
}

void Pathways(const ClassReport& r, std::string& h) {
  h +=
      "<section id=\"pathways\" aria-labelledby=\"pathways-h\">\n<h2 id=\"pathways-h\">Pathways to "
      "the class goal</h2>\n<p>For each learner, the competencies still to master on the way to "
      "the goal, prerequisites first, with the expected number of practice opportunities (from the "
      "model, as the planner computes it).</p>\n";
  for (size_t i = 0; i < r.learners.size(); ++i) {
    const ClassReportLearner& row = r.learners[i];
    const Pathway& p = row.pathway;
    h += "<div class=\"learner\">\n<h3 id=\"" + Anchor("pathway", i) + "\">" +
         Escape(row.learner_id) + "</h3>\n";
    if (p.steps.empty()) {
      h += "<p>Goal reached: every goal competency is mastered.</p>\n</div>\n";
      continue;
    }
    h += "<p>" + std::to_string(p.steps.size()) + " competencies to go, about " +
         std::to_string(p.total_expected_opportunities) + " opportunities (" +
         Fixed(p.total_expected_minutes, 0) +
         " minutes).</p>\n<ol class=\"pathway\" "
         "aria-label=\"Pathway of " +
         Escape(row.learner_id) + "\">\n";
    for (const PathwayStep& s : p.steps) {
      h += "<li>" + Escape(r.competency_names.at(s.competency_id)) + (s.is_goal ? " (goal)" : "") +
           ": P(learned) " + Probability(s.p_learned) + " of " + Fixed(s.mastery_threshold, 2);
      if (s.unreachable == UnreachableReason::kNone) {
        h += ", about " + std::to_string(s.expected_opportunities) + " opportunities";
      } else {
        h += " <span class=\"warning\">cannot be reached: " + Escape(s.unreachable_message) +
             "</span>";
      }
      h += "</li>\n";
    }
    h += "</ol>\n</div>\n";
  }
  h += "</section>\n";
}

void Recommendations(const ClassReport& r, std::string& h) {
  h += "<section id=\"recommendations\" aria-labelledby=\"recs-h\">\n<h2 id=\"recs-h\">Next "
       "activities and why</h2>\n<p>The recommender's top " +
       std::to_string(r.options.recommendations_per_learner) +
       " activities for each learner toward the class goal, with the reasons it gives (readiness, "
       "goal, difficulty fit, remediation, review, continuity).</p>\n";
  for (size_t i = 0; i < r.learners.size(); ++i) {
    const ClassReportLearner& row = r.learners[i];
    h += "<div class=\"learner\">\n<h3 id=\"" + Anchor("recs", i) + "\">" + Escape(row.learner_id) +
         "</h3>\n";
    if (row.recommendations.empty()) {
      h += "<p>Nothing to recommend.</p>\n</div>\n";
      continue;
    }
    h += "<ol class=\"recs\" aria-label=\"Recommendations for " + Escape(row.learner_id) + "\">\n";
    for (const Recommendation& rec : row.recommendations) {
      h += "<li><strong>" + Escape(rec.activity_id) + "</strong> (" +
           Fixed(rec.expected_minutes, 0) + " min";
      if (rec.predicted_correct >= 0.0) {
        h += ", predicted success " + PercentText(rec.predicted_correct);
      }
      h += ")";
      if (!rec.reasons.empty()) {
        h += "<ul class=\"reasons\">";
        for (const std::string& reason : rec.reasons) h += "<li>" + Escape(reason) + "</li>";
        h += "</ul>";
      }
      h += "</li>\n";
    }
    h += "</ol>\n</div>\n";
  }
  h += "</section>\n";
}

}  // namespace

std::string ClassReportHtml(const ClassReport& r) {
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta "
       "name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
       Escape(r.title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  h += "<a class=\"skip\" href=\"#heatmap\">Skip to the mastery table</a>\n<header>\n<h1>" +
       Escape(r.title) + "</h1>\n<p class=\"subtitle\">";
  if (!r.description.empty()) h += Escape(r.description) + ". ";
  size_t mastered_goal = 0, stalled = 0;
  for (const ClassReportLearner& row : r.learners) {
    if (row.goal_reached) ++mastered_goal;
    stalled += row.stalled.size();
  }
  h += std::to_string(r.learners.size()) + " learners, " +
       std::to_string(r.competency_names.size()) + " competencies, " +
       std::to_string(r.events_applied) + " events. Class goal: " + Escape(GoalText(r)) +
       ".</p>\n</header>\n";
  h += "<nav aria-label=\"Sections\">\n<ul>\n<li><a href=\"#summary\">Summary</a></li>\n<li><a "
       "href=\"#heatmap\">Mastery by learner and competency</a></li>\n<li><a href=\"#stalled\">Who "
       "is stalled</a></li>\n<li><a href=\"#cohorts\">Cohorts</a></li>\n<li><a "
       "href=\"#pathways\">Pathways to the class goal</a></li>\n<li><a "
       "href=\"#recommendations\">Next activities and why</a></li>\n</ul>\n</nav>\n<main>\n";
  const CohortSummary& whole = r.cohorts.back();
  h += "<section id=\"summary\" aria-labelledby=\"summary-h\">\n<h2 id=\"summary-h\">Summary</h2>"
       "\n<ul>\n<li>Mean P(learned) over the class: <strong data-summary=\"mean\">" +
       Probability(whole.mean_p_learned) +
       "</strong></li>\n<li>Learner and competency cells "
       "mastered: <strong data-summary=\"share-mastered\">" +
       PercentText(whole.share_mastered) +
       "</strong></li>\n<li>Learners at the class goal: "
       "<strong data-summary=\"at-goal\">" +
       std::to_string(mastered_goal) + " of " + std::to_string(r.learners.size()) +
       "</strong></li>\n<li>Stalled learner and competency pairs: <strong "
       "data-summary=\"stalled\">" +
       std::to_string(stalled) + "</strong></li>\n</ul>\n</section>\n";
  Heatmap(r, h);
  Stalled(r, h);
  Cohorts(r, h);
  Pathways(r, h);
  Recommendations(r, h);
  h += "</main>\n<footer>\n<p>Made by Pathwise from the events given; P(learned) is estimated "
       "with Bayesian Knowledge Tracing. A learner with no events is shown at the model's "
       "starting estimate.</p>\n</footer>\n</body>\n</html>\n";
  return h;
}

Result<ClassReportInput> ClassReportInputForRoster(const Roster& roster,
                                                   const std::string& class_id,
                                                   const std::string& source_name) {
  ClassReportInput input;
  const RosterClass* chosen = nullptr;
  std::string known;
  for (const RosterClass& cls : roster.classes) {
    known += (known.empty() ? "" : ", ") + cls.sourced_id;
    if (cls.sourced_id == class_id) chosen = &cls;
    input.cohorts[cls.title.empty() ? cls.sourced_id : cls.title + " (" + cls.sourced_id + ")"] =
        cls.learners;
  }
  if (class_id.empty()) {
    input.learners = roster.learners;
    return input;
  }
  if (chosen == nullptr) {
    return Status::NotFound("no class '" + class_id + "' in " + source_name +
                            " (classes: " + (known.empty() ? "none" : known) + ")");
  }
  input.learners = chosen->learners;
  input.description =
      "Class " + chosen->sourced_id + (chosen->title.empty() ? "" : " '" + chosen->title + "'");
  return input;
}

}  // namespace pathwise
